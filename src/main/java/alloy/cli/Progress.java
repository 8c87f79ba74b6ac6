package alloy.cli;

import alloy.recipe.Executor;
import alloy.recipe.Plan;
import java.io.Console;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress over output tensors, measured in MiB so that one large embedding counts for what it is. On a
 * terminal, a bar redrawn in place; into a pipe or a file, one plain line per tenth of the work, which
 * grep and less read line by line.
 */
final class Progress implements Executor.Listener, AutoCloseable {

    private final String task;
    private final long total;
    private final long totalBytes;
    private long doneBytes;
    private final ProgressBar bar;
    private long done;
    private int lastTenth;

    Progress(String task, Plan plan) {
        this.task = task;
        this.total = Math.max(1, plan.outputBytes() >> 20);
        this.totalBytes = Math.max(1, plan.outputBytes());
        this.bar = terminal() ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setUnit(" MiB", 1).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate()
                .setMaxRenderedLength(80).setConsumer(new ConsoleProgressBarConsumer(System.err)).build() : null;
    }

    /** Whether standard error is an interactive terminal (where a redrawn bar makes sense). */
    static boolean terminal() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override public synchronized void tensorDone(Plan.Step step) {
        done += step.byteSize() >> 20;
        if (bar != null) {
            bar.stepTo(Math.min(done, total));
            return;
        }
        // counted in bytes, so that tensors smaller than a MiB count too and the last line is 100%
        doneBytes += step.byteSize();
        int tenth = (int) Math.min(10, doneBytes * 10 / totalBytes);
        if (tenth > lastTenth) {
            lastTenth = tenth;
            System.err.printf(Locale.ROOT, "%s: %d%% (%d of %d MiB)%n", task, tenth * 10, Math.min(doneBytes >> 20, total), total);
        }
    }

    @Override public synchronized void close() {
        if (bar == null) return;
        bar.stepTo(bar.getMax());
        bar.close();
    }
}
