package alloy.tensor;

import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Work on one large tensor, cut into fixed blocks of {@link #SIZE} elements. Two reasons:
 * <ul>
 * <li>The JIT. A kernel that runs one loop over a whole 45-million-element tensor is compiled on the stack
 *     (OSR) in the middle of that loop, and each deoptimisation (a type or branch the profile had not seen,
 *     the loop's own exit) sends the rest of the tensor back to the interpreter, where every Vector API
 *     operation allocates. Measured: a cold merge of four 4096 x 11008 tensors per model ran 4x slower than
 *     warm, and a checkpoint's speed per byte depended on whether small tensors came first. A kernel called
 *     once per block is compiled as an ordinary method after a few blocks and never runs long in slow code.</li>
 * <li>Idle cores. A merge worker holding the only (or the last) large tensor would leave the other cores
 *     idle. Called from a worker of a {@link java.util.concurrent.ForkJoinPool} (the executor's), blocks
 *     are forked and idle workers steal them; called from any other thread, they run in order on it.</li>
 * </ul>
 * Results never depend on the split: element-wise work is the same per element, and {@link #sum} adds one
 * partial per block, in block order, whichever thread computed it. Block boundaries are multiples of 64, so
 * one-bit-per-element masks split on whole 64-bit words.
 */
public final class Blocks {

    /** Elements per block: 256 KiB of float32 per operand, a multiple of 64 and of every vector length. */
    public static final long SIZE = 1L << 16;

    /** A body over elements [from, to) of a block. */
    @FunctionalInterface
    public interface Range { void run(long from, long to); }

    /** A reduction over elements [from, to) of a block. */
    @FunctionalInterface
    public interface RangeSum { double sum(long from, long to); }

    /**
     * {@code -Dalloy.blocks=off} runs every kernel over its whole tensor in one call on the calling thread,
     * as before blocks existed: for measuring what blocks change (scripts/bench-merge --big compares both).
     * Sums then differ from the blocked ones in the last bits (one partial instead of one per block).
     */
    static final boolean OFF = "off".equals(System.getProperty("alloy.blocks"));

    private Blocks() {}

    /** Number of blocks of an n-element tensor (at least one, so that an empty tensor still runs its tail code once). */
    public static long count(long n) { return Math.max(1, (n + SIZE - 1) / SIZE); }

    /** Runs {@code body} once per block of [0, n): forked when on a fork-join worker and there is more than one block. */
    public static void forEach(long n, Range body) {
        if (OFF) {
            body.run(0, n);
            return;
        }
        long blocks = count(n);
        if (blocks == 1 || !ForkJoinTask.inForkJoinPool()) {
            for (long b = 0; b < blocks; b++) body.run(b * SIZE, Math.min(n, (b + 1) * SIZE));
            return;
        }
        new Split(0, blocks, n, body).invoke();
    }

    /** The same work in order on the calling thread: the twin that tests compare {@link #forEach} with. */
    public static void forEachInOrder(long n, Range body) {
        for (long b = 0, blocks = count(n); b < blocks; b++) body.run(b * SIZE, Math.min(n, (b + 1) * SIZE));
    }

    /** The sum of {@code body} over the blocks of [0, n), added in block order: the same value however the blocks ran. */
    public static double sum(long n, RangeSum body) {
        if (OFF) return body.sum(0, n);
        long blocks = count(n);
        if (blocks > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of " + n + " elements has too many blocks");
        double[] partial = new double[(int) blocks];
        forEach(n, (from, to) -> partial[(int) (from / SIZE)] = body.sum(from, to));
        double s = 0;
        for (double p : partial) s += p;
        return s;
    }

    /** Halves a block range until one block is left; the halves go to the pool's deque for idle workers to steal. */
    private static final class Split extends RecursiveAction {
        private final long first, end, n;
        private final Range body;

        Split(long first, long end, long n, Range body) {
            this.first = first;
            this.end = end;
            this.n = n;
            this.body = body;
        }

        @Override protected void compute() {
            if (end - first == 1) {
                body.run(first * SIZE, Math.min(n, (first + 1) * SIZE));
                return;
            }
            long mid = (first + end) >>> 1;
            invokeAll(new Split(first, mid, n, body), new Split(mid, end, n, body));
        }
    }
}
