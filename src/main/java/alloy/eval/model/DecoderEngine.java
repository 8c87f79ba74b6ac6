package alloy.eval.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.function.Supplier;

/**
 * The decoder side's use of DJL's PyTorch engine, through {@link DjlEngine} (offline, thread settings):
 * starting it, and running a piece of work on a fixed number of intra-op threads.
 */
public final class DecoderEngine {

    public static final String ENGINE = DjlEngine.ENGINE;

    private DecoderEngine() {}

    /**
     * Starts the engine offline; when it has not started yet and the user did not choose with
     * {@code -Dai.djl.pytorch.num_threads}, with {@code threads} intra-op threads.
     */
    public static synchronized Engine start(int threads) {
        DjlEngine.offline();
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        return DjlEngine.engine();
    }

    /** Starts the engine (every core unless configured otherwise). */
    public static Engine start() { return DjlEngine.engine(); }

    /** A new root manager on the PyTorch engine (close it to release everything made in it). */
    public static NDManager newManager() { return DjlEngine.newManager(); }

    /**
     * Runs {@code work} with PyTorch's intra-op thread count set to {@code threads}, then restores it
     * (a process-wide setting). Training runs on one thread: with two, CPU kernels (the BLAS among them)
     * may split sums differently from run to run, so the last bits of a loss change; on one thread a seed
     * repeats a run exactly.
     */
    public static <T> T withThreads(int threads, Supplier<T> work) {
        int before = DjlEngine.threads();
        DjlEngine.setThreads(threads);
        try {
            return work.get();
        } finally {
            DjlEngine.setThreads(before);
        }
    }
}
