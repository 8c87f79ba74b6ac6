package alloy.eval.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Alloy's one door to DJL's PyTorch engine, for encoders, decoders and training alike. Loading this class puts DJL offline
 * ({@code ai.djl.offline=true}), so neither the engine nor the tokenizers ever try to download, whether
 * Alloy runs under surefire or from the command line.
 *
 * <p>Threads: PyTorch's intra-op pool does the parallel work of one forward pass (matrix products,
 * element-wise kernels, large copies). Its size is read from {@code ai.djl.pytorch.num_threads} when the
 * engine starts (every core unless set) and can be changed later with {@link #setThreads}, which is a
 * process-wide setting. Inter-op parallelism is not used: the forward is one chain of ops.
 */
public final class DjlEngine {

    public static final String ENGINE = "PyTorch";

    static {
        System.setProperty("ai.djl.offline", "true");
    }

    private DjlEngine() {}

    /** Makes sure DJL is offline (running this class's initializer) without starting any engine. */
    public static void offline() {
        System.setProperty("ai.djl.offline", "true");
    }

    /** The PyTorch engine, started on first use with the thread settings described above. */
    public static synchronized Engine engine() {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        return Engine.getEngine(ENGINE);
    }

    /** A new root manager; everything made in it (and its sub-managers) is released when it closes. */
    public static NDManager newManager() { return engine().newBaseManager(); }

    /**
     * Starts the engine; when it has not started yet and the user did not choose with
     * {@code -Dai.djl.pytorch.num_threads}, with {@code threads} intra-op threads (training uses one).
     */
    public static synchronized Engine start(int threads) {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        return engine();
    }

    /**
     * Runs {@code work} with PyTorch's intra-op thread count set to {@code threads}, then restores it
     * (a process-wide setting). Training runs on one thread: with two, CPU kernels (the BLAS among them)
     * may split sums differently from run to run, so the last bits of a loss change; on one thread a seed
     * repeats a run exactly.
     */
    public static <T> T withThreads(int threads, Supplier<T> work) {
        int before = threads();
        setThreads(threads);
        try {
            return work.get();
        } finally {
            setThreads(before);
        }
    }

    /** Sets PyTorch's intra-op thread count for the whole process (at least 1). */
    public static void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("PyTorch intra-op threads: expected >= 1, found " + threads);
        engine();
        JniUtils.setNumThreads(threads);
    }

    /** PyTorch's current intra-op thread count. */
    public static int threads() {
        engine();
        return JniUtils.getNumThreads();
    }
}
