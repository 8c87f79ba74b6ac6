package alloy.cli;

import alloy.merge.MergeMethod;
import alloy.merge.MergeMethods;
import alloy.merge.ParamSpec;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

@Command(name = "methods", mixinStandardHelpOptions = true,
        description = "List the merge methods (mergekit's names) with their parameters, defaults and what each does.")
final class MethodsCommand implements Callable<Integer> {

    @Override public Integer call() {
        for (MergeMethod m : MergeMethods.all()) {
            System.out.printf(Locale.ROOT, "%s: %s%n", m.name(), m.summary());
            String base = switch (m.base()) {
                case REQUIRED -> "base_model required";
                case OPTIONAL -> "base_model optional";
                case UNUSED -> "no base_model";
            };
            String count = m.maxModels() == Integer.MAX_VALUE ? m.minModels() + " or more models" : m.minModels() == m.maxModels()
                    ? m.minModels() + " model(s)" : m.minModels() + "-" + m.maxModels() + " models";
            System.out.printf(Locale.ROOT, "    %s; %s%s%n", base, count, m.random() ? "; random (reproducible with --random-seed)" : "");
            if (!m.tensorParameters().isEmpty()) System.out.println("    per model: " + params(m.tensorParameters()));
            if (!m.parameters().isEmpty()) System.out.println("    global:    " + params(m.parameters()));
        }
        return 0;
    }

    private static String params(List<ParamSpec> ps) {
        return ps.stream().map(p -> p.name() + (p.isRequired() ? " (required)"
                : p.kind() == ParamSpec.Kind.FLAG ? " = " + (p.defaultValue() != 0 ? "true" : "false")
                : " = " + fmt(p.defaultValue()))).collect(Collectors.joining(", "));
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v);
    }
}
