package alloy.cli;

import alloy.recipe.Executor;
import alloy.recipe.Plan;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar over output tensors, measured in MiB so that one large embedding counts for what it is. */
final class Progress implements Executor.Listener, AutoCloseable {

    private final ProgressBar bar;

    Progress(String task, Plan plan) {
        this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, plan.outputBytes() >> 20))
                .setUnit(" MiB", 1).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate()
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build();
    }

    @Override public void tensorDone(Plan.Step step) { bar.stepBy(step.byteSize() >> 20); }

    @Override public void close() {
        bar.stepTo(bar.getMax());
        bar.close();
    }
}
