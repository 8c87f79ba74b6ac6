package alloy.cli;

import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.lora.AdapterRef;
import alloy.lora.CombineMethod;
import alloy.lora.LoraAdapter;
import alloy.lora.LoraCombine;
import alloy.lora.LoraFold;
import alloy.lora.LoraKernels;
import alloy.lora.MajoritySign;
import alloy.lora.WeightedAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code alloy lora fold|combine}: LoRA adapters in PEFT layout, folded into a base or combined into one adapter. */
@Command(name = "lora", mixinStandardHelpOptions = true,
        description = "Fold PEFT LoRA adapters into their base model, or combine adapters into one (PEFT's add_weighted_adapter).",
        subcommands = {LoraCommand.Fold.class, LoraCommand.Combine.class})
public final class LoraCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: fold or combine");
    }

    @Command(name = "fold", mixinStandardHelpOptions = true,
            description = {"Write BASE with W' = W + sum_i w_i * scale_i * B_i.A_i on every adapted weight (a full Hugging Face checkpoint).",
                    "ADAPTER is a PEFT adapter directory (adapter_config.json + adapter_model.safetensors); :WEIGHT defaults to 1."})
    static final class Fold implements Callable<Integer> {

        @Option(names = "--base", required = true, paramLabel = "BASE", description = "base model directory or checkpoint")
        String base;

        @Parameters(arity = "1..*", paramLabel = "ADAPTER[:WEIGHT]")
        List<String> adapters;

        @Option(names = {"-o", "--out"}, required = true, description = "output model directory")
        Path out;

        @Option(names = "--out-shard-size", defaultValue = "5G", description = "largest output shard (default ${DEFAULT-VALUE})")
        String shardSize;

        @Option(names = "--threads", description = "tensors folded at once (default: up to 8)")
        Integer threads;

        @Option(names = "--reference-kernels", description = "use the plain reference product instead of the vectorized one")
        boolean reference;

        @Option(names = "--overwrite", description = "replace OUT if it is an earlier Alloy output (never anything else)")
        boolean overwrite;

        @Override public Integer call() {
            Outputs.one(null, out, false);
            LoraFold.Options opt = LoraFold.Options.defaults().withOverwrite(overwrite).withShardBytes(Sizes.parse(shardSize));
            if (threads != null) opt = opt.withThreads(threads);
            if (reference) opt = opt.withKernels(LoraKernels.reference());
            List<WeightedAdapter> open = new ArrayList<>();
            Path here = Path.of("").toAbsolutePath();
            try (Checkpoint b = Checkpoints.open(base, here)) {
                for (String s : adapters) {
                    AdapterRef ref = AdapterRef.parse(s);
                    open.add(new WeightedAdapter(LoraAdapter.open(ref.path(), here), ref.weight()));
                }
                AtomicInteger folded = new AtomicInteger();
                Path done = LoraFold.fold(b, open, out, opt, (name, bytes, f) -> { if (f) folded.incrementAndGet(); });
                System.out.printf(Locale.ROOT, "folded %d adapter(s) into %d tensors of %s -> %s%n", open.size(), folded.get(), b.label(), done);
            } finally {
                open.forEach(w -> w.adapter().close());
            }
            return 0;
        }
    }

    @Command(name = "combine", mixinStandardHelpOptions = true,
            description = {"Combine adapters into one PEFT adapter, as PEFT's add_weighted_adapter(combination_type=METHOD).",
                    "cat keeps sum_i w_i * scale_i * B_i.A_i exactly (rank = sum of ranks); the others need equal ranks and combine A and B separately."})
    static final class Combine implements Callable<Integer> {

        @Option(names = "--method", required = true, paramLabel = "METHOD",
                description = "linear, cat, ties, dare_linear, dare_ties or magnitude_prune")
        String method;

        @Option(names = "--density", description = "fraction of each factor kept (ties, dare_*, magnitude_prune)")
        Double density;

        @Option(names = "--majority-sign", defaultValue = "total", description = "ties/dare_ties sign election: total or frequency (default ${DEFAULT-VALUE})")
        String majority;

        @Option(names = "--random-seed", defaultValue = "0", description = "seed of the dare_* masks (default ${DEFAULT-VALUE})")
        long seed;

        @Parameters(arity = "1..*", paramLabel = "ADAPTER[:WEIGHT]")
        List<String> adapters;

        @Option(names = {"-o", "--out"}, required = true, description = "output adapter directory")
        Path out;

        @Option(names = "--overwrite", description = "replace OUT if it is an earlier Alloy output (never anything else)")
        boolean overwrite;

        @Override public Integer call() {
            Outputs.one(null, out, false);
            LoraCombine.Options opt = new LoraCombine.Options(CombineMethod.parse(method),
                    density == null ? OptionalDouble.empty() : OptionalDouble.of(density), MajoritySign.parse(majority), seed);
            List<WeightedAdapter> open = new ArrayList<>();
            Path here = Path.of("").toAbsolutePath();
            try {
                for (String s : adapters) {
                    AdapterRef ref = AdapterRef.parse(s);
                    open.add(new WeightedAdapter(LoraAdapter.open(ref.path(), here), ref.weight()));
                }
                LoraCombine.Plan plan = LoraCombine.plan(open, opt);
                Path done = LoraCombine.combine(open, opt, out, overwrite);
                String note = plan.method() == opt.method() ? ""
                        : " (one adapter: PEFT's add_weighted_adapter combines a single adapter linearly whatever the method)";
                System.out.printf(Locale.ROOT, "combined %d adapter(s) with %s%s into %d modules of rank %d -> %s%n",
                        open.size(), plan.method().peftName(), note, plan.outputs().size(), plan.rank(), done);
            } finally {
                open.forEach(w -> w.adapter().close());
            }
            return 0;
        }
    }
}
