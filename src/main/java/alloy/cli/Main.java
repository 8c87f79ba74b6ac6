package alloy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code alloy} command. Every failure prints one line naming the file, tensor or key, and exits non-zero. */
@Command(name = "alloy", mixinStandardHelpOptions = true, version = "alloy 0.1.0",
        description = "Merge fine-tuned models in weight space, score the merges, and search merge ratios.",
        subcommands = {MergeCommand.class, InspectCommand.class, SoupCommand.class, LoraCommand.class, EvalCommand.class, SweepCommand.class,
                EvolveCommand.class, LearnCommand.class, LeaderboardCommand.class, MethodsCommand.class, ProxyCheckCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable t = e;
            while (t.getMessage() == null && t.getCause() != null) t = t.getCause();
            cmd.getErr().println("error: " + (t.getMessage() == null ? t.toString() : t.getMessage().lines().findFirst().orElse("")));
            if (System.getenv("ALLOY_DEBUG") != null) e.printStackTrace(cmd.getErr());
            return 1;
        });
        // a usage mistake gets one line and a pointer to the help, not the whole usage text
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("error: " + e.getMessage().lines().findFirst().orElse(""));
            cmd.getErr().println("(see: alloy " + (cmd.getCommandName().equals("alloy") ? "" : cmd.getCommandSpec().qualifiedName(" ").replaceFirst("^alloy ", "") + " ") + "--help)");
            return 2;
        });
        return cl.execute(args);
    }
}
