package alloy.recipe;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.CheckpointWriter;
import alloy.io.HfConfig;
import alloy.io.MappedReads;
import alloy.io.TensorSink;
import alloy.io.MemoryCheckpoint;
import alloy.merge.MergeInput;
import alloy.merge.TensorTask;
import alloy.tensor.Codec;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.ScratchArena;
import alloy.tensor.ScratchPool;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import alloy.merge.TensorSeeds;

/**
 * Runs a {@link Plan}: one tensor at a time per worker (its blocks shared with idle workers), each worker with a {@link ScratchArena} (from the
 * process's {@link ScratchPool}) whose memory is recycled as soon as a tensor is written, so native memory
 * stays at a few tensors whatever the model size and large tensors do not fault their working memory in
 * from the kernel again and again. Output goes to a {@link CheckpointWriter} (disk) or a
 * {@link MemoryCheckpoint} (evaluation without a disk round trip).
 */
public final class Executor {

    /** Told after each tensor; called from worker threads. */
    public interface Listener {
        void tensorDone(Plan.Step step);

        Listener NONE = s -> {};
    }

    private final Plan plan;
    private final Map<String, Checkpoint> inputs;
    private final Kernels kernels;
    private final long seed;
    private final int threads;

    public Executor(Plan plan, Map<String, Checkpoint> inputs, Kernels kernels, long seed, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.plan = plan;
        this.inputs = inputs;
        this.kernels = kernels;
        this.seed = seed;
        this.threads = threads;
    }

    /** Merges into {@code writer} (a safetensors layout from {@link #entries}, or an ONNX template); the caller commits. */
    public void toWriter(TensorSink writer, Listener listener) {
        run((step, arena) -> {
            if (step.kind() == Plan.Kind.COPY) {
                Plan.Source s = step.sources().get(0);
                writer.writeRaw(step.name(), inputs.get(s.model()).raw(s.tensor()));
                return;
            }
            writer.write(step.name(), merge(step, arena, Optional.empty()));
        }, listener);
    }

    /** Merges into memory; float32 values rounded through the plan's output dtype, as a disk merge would store them. */
    public MemoryCheckpoint toMemory(String label, Optional<HfConfig> config, Listener listener) {
        Optional<Path> dir = inputs.get(referenceModel()).modelDirectory();
        MemoryCheckpoint out = new MemoryCheckpoint(label, dir, config);
        try {
            run((step, arena) -> {
                if (step.kind() == Plan.Kind.COPY) return; // integer buffers play no part in evaluation
                // float32: a method that can writes straight into the checkpoint's memory; other dtypes round
                // through the scratch result first
                FloatTensor[] given = new FloatTensor[1];
                Optional<TensorTask.ResultMemory> direct = step.dtype() == DType.F32
                        ? Optional.of(shape -> given[0] = out.uninitialized(shape)) : Optional.empty();
                FloatTensor merged = merge(step, arena, direct);
                FloatTensor kept = merged;
                if (merged != given[0]) {
                    kept = out.uninitialized(step.shape());
                    roundTrip(merged, step.dtype(), kept, arena);
                }
                out.put(step.name(), kept);
            }, listener);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** The writer layout for this plan. */
    public List<CheckpointWriter.Entry> entries() {
        return plan.steps().stream().map(s -> new CheckpointWriter.Entry(s.name(), s.dtype(), s.shape())).toList();
    }

    private String referenceModel() {
        return plan.recipe().referenceModel();
    }

    /** One step's work; {@code arena} is the worker's scratch, recycled when the step returns. */
    private interface StepRunner { void run(Plan.Step step, Arena arena); }

    /**
     * Runs every step. With one thread, in plan order on the caller. With more, {@code threads} workers of a
     * fork-join pool each take the next step from one queue (in {@link #schedule} order) until it is empty;
     * inside a step the kernels fork their blocks ({@code alloy.tensor.Blocks}), so a worker that finds
     * the queue empty helps with the tensors still in progress instead of idling: a checkpoint of a few
     * huge tensors, or one whose largest tensor comes last, keeps every core busy. Each worker owns one
     * {@link ScratchArena} for its whole run (not one per thread: a fork-join thread may start another
     * worker's task while it waits for its blocks, and must not reuse the memory of the step it is in).
     */
    private void run(StepRunner runner, Listener listener) {
        if (threads == 1) {
            ScratchArena arena = ScratchPool.take();
            try {
                for (Plan.Step s : plan.steps()) {
                    runStep(runner, s, arena);
                    listener.tensorDone(s);
                }
            } finally {
                ScratchPool.give(arena);
            }
            return;
        }
        // steps are polled in schedule order, so when step i fails every earlier step has started; the error
        // reported is the earliest failing step's, whichever worker got there first (the same error every run)
        List<Plan.Step> order = schedule(plan.steps());
        ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < order.size(); i++) queue.add(i);
        AtomicReference<Failed> failure = new AtomicReference<>();
        ForkJoinPool pool = new ForkJoinPool(threads, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("alloy-merge-" + t.getPoolIndex());
            return t;
        }, null, false);
        try {
            List<ForkJoinTask<?>> workers = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                workers.add(pool.submit(() -> {
                    ScratchArena arena = ScratchPool.take();
                    try {
                        for (Integer i; failure.get() == null && (i = queue.poll()) != null; ) {
                            Plan.Step s = order.get(i);
                            try {
                                runStep(runner, s, arena);
                            } catch (Throwable e) {
                                fail(failure, i, e);
                                return;
                            }
                            listener.tensorDone(s);
                        }
                    } catch (Throwable e) {
                        fail(failure, Integer.MAX_VALUE, e);
                    } finally {
                        ScratchPool.give(arena);
                    }
                }));
            }
            for (ForkJoinTask<?> f : workers) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    fail(failure, Integer.MAX_VALUE, e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("merge interrupted", e);
                }
            }
            Failed f = failure.get();
            Throwable e = f == null ? null : f.error();
            if (e instanceof RuntimeException re) throw re;
            if (e instanceof Error err) throw err;
            if (e != null) throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
            // after a failure a worker may still be inside a tensor: the scratch it holds is given back only when it stops
            try {
                pool.awaitTermination(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A step's error and its place in the schedule. */
    private record Failed(int index, Throwable error) {}

    /** Keeps the failure of the earliest step in schedule order. */
    private static void fail(AtomicReference<Failed> failure, int index, Throwable e) {
        Failed mine = new Failed(index, e);
        failure.accumulateAndGet(mine, (had, now) -> had == null || now.index() < had.index() ? now : had);
    }

    private void runStep(StepRunner runner, Plan.Step step, ScratchArena arena) {
        try (arena) {   // closing ends the step: its slices are recycled
            runner.run(step, arena);
        } catch (InternalError e) {
            if (!MappedReads.isFault(e)) throw e;
            throw inputFault(step, e);
        }
    }

    /** A mapped input that faulted after its tensor was checked: some file shrank while being merged. */
    private CheckpointException inputFault(Plan.Step step, InternalError e) {
        List<String> files = new ArrayList<>();
        step.sources().forEach(s -> files.add(inputs.get(s.model()).label() + " ('" + s.tensor() + "')"));
        step.base().ifPresent(b -> files.add(inputs.get(b.model()).label() + " ('" + b.tensor() + "')"));
        return new CheckpointException("tensor '" + step.name() + "': an input could not be read from its mapped file (truncated while"
                + " merging?): " + String.join(", ", files.stream().distinct().toList()), e);
    }

    /**
     * The order tensors are handed to the workers: smallest first until a quarter of the elements is done,
     * then largest first. The JIT compiles the kernels on the small ones (a cold merge that meets a tensor of
     * hundreds of MiB first spends seconds in interpreted Vector API code: 5.7-8.3 s against 3.5-4.4 s for
     * three 1 GiB checkpoints), and the big embedding or lm_head is not left for last, alone on one worker.
     */
    static List<Plan.Step> schedule(List<Plan.Step> steps) {
        List<Plan.Step> ascending = new ArrayList<>(steps);
        ascending.sort(Comparator.comparingLong((Plan.Step s) -> s.shape().numel()));
        long total = ascending.stream().mapToLong(s -> s.shape().numel()).sum(), warm = 0;
        int split = 0;
        while (split < ascending.size() && (warm += ascending.get(split).shape().numel()) <= total / 4) split++;
        List<Plan.Step> order = new ArrayList<>(ascending.subList(0, split));
        order.addAll(ascending.subList(split, ascending.size()).reversed());
        return order;
    }

    /**
     * Reads, checks and merges one planned tensor; the result lives in {@code arena} or in {@code result}'s
     * memory. Inputs and result are checked for NaN and infinities, each in a pass of its own, unless the
     * method screens for them in its own passes ({@link alloy.merge.MergeMethod#screensFinite}) and calls
     * these same checks when it finds something: the errors are the same either way.
     */
    FloatTensor merge(Plan.Step step, Arena arena, Optional<TensorTask.ResultMemory> result) {
        List<MergeInput> in = new ArrayList<>();
        List<Runnable> inputChecks = new ArrayList<>();   // in reading order: the first bad input is the one reported
        for (int i = 0; i < step.sources().size(); i++) {
            Plan.Source s = step.sources().get(i);
            in.add(new MergeInput(s.model(), read(s, step.shape(), arena, inputChecks), step.perModel().get(i), s.isBase()));
        }
        Optional<FloatTensor> base = step.base().map(b -> in.stream().filter(x -> x.isBase() && x.model().equals(b.model()))
                .map(MergeInput::tensor).findFirst().orElseGet(() -> read(b, step.shape(), arena, inputChecks)));
        TensorTask.FiniteCheck check = new TensorTask.FiniteCheck() {
            @Override public void inputs() { inputChecks.forEach(Runnable::run); }

            @Override public void result(FloatTensor out) {
                long bad = kernels.firstNonFinite(out);
                if (bad >= 0) {
                    throw new CheckpointException("tensor '" + step.name() + "': merge_method '" + plan.method().name()
                            + "' produced " + out.get(bad) + " at element " + bad + " (check the weights: do they sum to zero?)");
                }
            }
        };
        TensorTask task = new TensorTask(step.name(), base, in, step.global(), TensorSeeds.of(seed, step.name()), result, Optional.of(check));
        boolean screened = plan.method().screensFinite(task);
        if (!screened) check.inputs();
        FloatTensor out = plan.method().merge(task, arena, kernels);
        if (!screened) check.result(out);
        return out;
    }

    /** An input's view (its leading sub-matrix where the shape is smaller), its check for NaN and infinities added to {@code checks}. */
    private FloatTensor read(Plan.Source s, Shape shape, Arena arena, List<Runnable> checks) {
        Checkpoint c = inputs.get(s.model());
        FloatTensor view = c.view(s.tensor(), arena);   // F32 inputs are read in place, read-only
        FloatTensor t = view.shape().equals(shape) ? view : commonSubmatrix(view, shape, arena);
        checks.add(() -> {
            long bad = kernels.firstNonFinite(t);
            if (bad >= 0) {
                throw new CheckpointException(c.label() + ": tensor '" + s.tensor() + "' holds " + t.get(bad) + " at element " + bad
                        + " (model '" + s.model() + "'); refusing to merge non-finite weights");
            }
        });
        return t;
    }

    /** Leading rows and columns of a larger [rows, cols] matrix (vocabulary truncation). */
    static FloatTensor commonSubmatrix(FloatTensor t, Shape target, Arena arena) {
        long cols = t.shape().dim(1), rows = target.dim(0), keep = target.dim(1);
        if (keep == cols) return t.leadingRows(rows);
        FloatTensor out = FloatTensor.allocate(arena, target);
        for (long r = 0; r < rows; r++) {
            MemorySegment.copy(t.data(), r * cols * 4L, out.data(), r * keep * 4L, keep * 4L);
        }
        return out;
    }

    private static void roundTrip(FloatTensor merged, DType dtype, FloatTensor into, Arena scratch) {
        if (dtype == DType.F32) {
            MemorySegment.copy(merged.data(), 0, into.data(), 0, merged.data().byteSize());
            return;
        }
        MemorySegment enc = scratch.allocate(merged.size() * dtype.byteSize());
        Codec.encode(merged, dtype, enc);
        FloatTensor back = Codec.decode(enc, dtype, merged.shape(), scratch);
        MemorySegment.copy(back.data(), 0, into.data(), 0, back.data().byteSize());
    }
}
