package alloy.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import alloy.eval.model.DjlEngine;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * PyTorch's float32 matrix product at a BERT-small shape ((4096 x 384) x (384 x 1536), a feed-forward layer
 * of 32 texts of 128 tokens), on one thread: GFLOP/s by wall clock and by the calling thread's CPU time (the
 * second is what a shared machine leaves comparable). Used to tell which MKL kernel runs under which setting.
 * Usage: MatmulProbe [ROUNDS=20]
 */
public final class MatmulProbe {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        DjlEngine.setThreads(1);
        var bean = ManagementFactory.getThreadMXBean();
        try (NDManager m = DjlEngine.newManager()) {
            NDArray a = m.randomUniform(-1f, 1f, new Shape(4096, 384)), b = m.randomUniform(-1f, 1f, new Shape(384, 1536));
            for (int i = 0; i < 3; i++) a.matMul(b).close();
            long w0 = System.nanoTime(), c0 = bean.getCurrentThreadCpuTime();
            for (int i = 0; i < rounds; i++) a.matMul(b).close();
            double wall = (System.nanoTime() - w0) / 1e9, cpu = (bean.getCurrentThreadCpuTime() - c0) / 1e9;
            double flop = 2.0 * 4096 * 384 * 1536 * rounds;
            System.out.printf(Locale.ROOT, "matmul (4096x384)x(384x1536), 1 thread: %.1f GFLOP/s wall, %.1f GFLOP/s per CPU second%n", flop / wall / 1e9, flop / cpu / 1e9);
        }
    }
}
