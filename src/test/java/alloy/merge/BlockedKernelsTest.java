package alloy.merge;

import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.Blocks;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The merge package's own kernels on tensors of several blocks, run where {@link Blocks} forks (inside a
 * fork-join pool, as the executor's workers are) against their plain twins, and against themselves run in
 * order: bit for bit, tails included (sizes that are not multiples of 64 or of a block).
 */
class BlockedKernelsTest {

    static final long N = 3 * Blocks.SIZE + 1000 + 37;   // three whole blocks, a partial one, a partial mask word
    static final ForkJoinPool POOL = new ForkJoinPool(4);

    @AfterAll
    static void closePool() { POOL.shutdownNow(); }

    static <T> T forked(Supplier<T> work) { return POOL.submit(work::get).join(); }

    static FloatTensor random(Arena a, long n, long seed, float quantum) {
        SplittableRandom r = new SplittableRandom(seed);
        FloatTensor t = FloatTensor.allocate(a, Shape.of(n));
        for (long i = 0; i < n; i++) {
            float v = (float) r.nextGaussian();
            // a quantum makes many magnitudes equal, so a cut splits its ties (the ordered path)
            t.set(i, quantum > 0 ? Math.round(v / quantum) * quantum : v);
        }
        return t;
    }

    static byte[] bytes(MemorySegment s) { return s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE); }

    @Test
    void everyBlockRunsOnceAndIdleWorkersTakeBlocks() {
        long n = 64 * Blocks.SIZE + 5;
        AtomicLongArray seen = new AtomicLongArray(Math.toIntExact(n / 64 + 1));
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        forked(() -> {
            Blocks.forEach(n, (from, to) -> {
                assertEquals(0, from % 64, "blocks start on whole mask words");
                threads.add(Thread.currentThread());
                for (long i = from; i < to; i += 64) seen.incrementAndGet((int) (i / 64));
                try {
                    Thread.sleep(2);   // long enough that the other workers steal
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            return null;
        });
        for (int w = 0; w < seen.length(); w++) assertEquals(1, seen.get(w), "word " + w);
        assertTrue(threads.size() > 1, "only " + threads + " ran the blocks");
    }

    @Test
    void sumsAreTheSameForkedOrInOrder() {
        try (Arena a = Arena.ofShared()) {
            FloatTensor x = random(a, N, 1, 0);
            Blocks.RangeSum abs = (from, to) -> {
                double s = 0;
                for (long i = from; i < to; i++) s += Math.abs(x.get(i));
                return s;
            };
            double inOrder = Blocks.sum(N, abs);
            assertEquals(inOrder, forked(() -> Blocks.sum(N, abs)));
            assertEquals(inOrder, forked(() -> alloy.tensor.Kernels.fast().sumAbs(x)) , 1e-9 * inOrder);
            assertEquals(forked(() -> alloy.tensor.Kernels.fast().sumAbs(x)), alloy.tensor.Kernels.fast().sumAbs(x), "bit for bit");
        }
    }

    @Test
    void bernoulliMasksEqualTheReferenceAcrossBlocks() {
        try (Arena a = Arena.ofShared()) {
            CounterRandom r = new CounterRandom(0x5DEECE66DL, 2);
            MemorySegment fast = MergeSupport.bitWords(N, a), reference = MergeSupport.bitWords(N, a);
            forked(() -> { r.fillBelow(CounterRandom.threshold(0.3), fast, N); return null; });
            r.fillBelowReference(CounterRandom.threshold(0.3), reference, N);
            assertArrayEquals(bytes(reference), bytes(fast));
        }
    }

    @Test
    void magnitudeCutsAndBandsEqualTheReferenceAcrossBlocks() {
        for (float quantum : new float[] {0, 0.05f}) {
            try (Arena a = Arena.ofShared()) {
                FloatTensor x = random(a, N, 3, quantum);
                MagnitudeOrder fast = MagnitudeOrder.fast(), ref = MagnitudeOrder.reference();
                for (double density : new double[] {0.1, 0.5, 0.9}) {
                    long k = (long) (density * N), outliers = N / 100;
                    MagnitudeOrder.Cut upper = forked(() -> fast.top(x, k + outliers)), lower = forked(() -> fast.top(x, outliers));
                    assertEquals(ref.top(x, k + outliers), upper, "quantum " + quantum + " density " + density);
                    assertEquals(ref.top(x, outliers), lower);
                    if (quantum > 0) assertTrue(upper.ordered() || lower.ordered() || density == 0.9, "the quantised case splits ties at a cut");
                    MemorySegment bits = forked(() -> fast.bandBits(x, lower, upper, a));
                    assertArrayEquals(bytes(ref.bandBits(x, lower, upper, a)), bytes(bits), "bits, quantum " + quantum + " density " + density);
                    FloatTensor kept = x.copy(a), keptRef = x.copy(a);
                    forked(() -> { fast.keepBand(kept, lower, upper); return null; });
                    ref.keepBand(keptRef, lower, upper);
                    assertArrayEquals(bytes(keptRef.data()), bytes(kept.data()), "band, quantum " + quantum + " density " + density);
                }
            }
        }
    }

    @Test
    void signVoteAndMaskHelpersEqualTheirTwinsAcrossBlocks() {
        try (Arena a = Arena.ofShared()) {
            FloatTensor base = random(a, N, 10, 0);
            FloatTensor[] x = new FloatTensor[3];
            MemorySegment[] kept = new MemorySegment[3];
            for (int i = 0; i < 3; i++) {
                x[i] = random(a, N, 20 + i, 0);
                kept[i] = MergeSupport.bitWords(N, a);
                new CounterRandom(5, i).fillBelowReference(CounterRandom.threshold(0.5), kept[i], N);
            }
            kept[1] = null;   // a model without a mask
            for (boolean byCount : new boolean[] {false, true}) {
                SignVote vote = new SignVote(base, x, new float[] {0.5f, 0.3f, 0.2f}, new float[] {1.5f, 1f, 2f}, kept, byCount, true, 0.9f);
                FloatTensor fast = FloatTensor.allocate(a, base.shape()), ref = FloatTensor.allocate(a, base.shape());
                forked(() -> { vote.fast(fast); return null; });
                vote.reference(ref);
                assertArrayEquals(bytes(ref.data()), bytes(fast.data()), "byCount " + byCount);
            }
            FloatTensor sparse = x[0].copy(a);
            MergeSupport.keepBitsScalar(sparse, kept[0]);
            assertArrayEquals(bytes(MergeSupport.nonZeroBitsScalar(sparse, a)), bytes(forked(() -> MergeSupport.nonZeroBits(sparse, a))));
            FloatTensor viaFast = x[0].copy(a);
            forked(() -> { MergeSupport.keepBits(viaFast, kept[0]); return null; });
            assertArrayEquals(bytes(sparse.data()), bytes(viaFast.data()));
            double[] sums = forked(() -> MergeSupport.maskedAbsSums(x[2], base, kept[2]));
            double[] plain = MergeSupport.maskedAbsSumsScalar(x[2], base, kept[2]);
            assertEquals(plain[0], sums[0], 1e-9 * plain[0]);
            assertEquals(plain[1], sums[1], 1e-9 * plain[1]);
            assertArrayEquals(sums, MergeSupport.maskedAbsSums(x[2], base, kept[2]), "forked and in order, bit for bit");
        }
    }

    @Test
    void fusedDareMasksEqualTheirModelByModelTwin() {
        for (long n : new long[] {0, 1, 63, 64, 1000, N}) {
            try (Arena a = Arena.ofShared()) {
                FloatTensor base = random(a, n, 30, 0);
                FloatTensor[] x = new FloatTensor[3];
                for (int i = 0; i < 3; i++) x[i] = random(a, n, 40 + i, 0);
                // a model that equals the base, so that its norms are 0
                x[1] = base.copy(a);
                long[] threshold = {CounterRandom.threshold(0.5), CounterRandom.threshold(0.1), CounterRandom.threshold(0.9)};
                for (boolean norms : new boolean[] {false, true}) {
                    MemorySegment[] fastBits = new MemorySegment[3], refBits = new MemorySegment[3];
                    CounterRandom[] random = new CounterRandom[3];
                    for (int i = 0; i < 3; i++) {
                        fastBits[i] = MergeSupport.bitWords(n, a);
                        refBits[i] = MergeSupport.bitWords(n, a);
                        random[i] = new CounterRandom(77, i);
                    }
                    Sparsifier.Kept[] fast = forked(() -> DareMasks.fast(base, x, random, threshold, fastBits, norms));
                    Sparsifier.Kept[] ref = DareMasks.reference(base, x, random, threshold, refBits, norms);
                    for (int i = 0; i < 3; i++) {
                        String what = "n " + n + ", model " + i + ", norms " + norms;
                        assertArrayEquals(bytes(ref[i].bits()), bytes(fast[i].bits()), what);
                        assertEquals(Double.doubleToRawLongBits(ref[i].before()), Double.doubleToRawLongBits(fast[i].before()), what);
                        assertEquals(Double.doubleToRawLongBits(ref[i].after()), Double.doubleToRawLongBits(fast[i].after()), what);
                    }
                    // in order on one thread too
                    Sparsifier.Kept[] inOrder = DareMasks.fast(base, x, random, threshold, fastBits, norms);
                    for (int i = 0; i < 3; i++) assertEquals(ref[i].before(), inOrder[i].before());
                }
            }
        }
    }

    @Test
    void drawnWordsEqualTheFilledMask() {
        CounterRandom r = new CounterRandom(9, 2);
        for (double p : new double[] {0, 1e-9, 0.3, 0.5, 1 - 1e-12, 1}) {
            long threshold = CounterRandom.threshold(p);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment words = MergeSupport.bitWords(64 * 50, a);
                r.fillBelowReference(threshold, words, 64 * 50);
                for (long w = 0; w < 50; w++) assertEquals(words.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, w), r.word(w, threshold), "p " + p + ", word " + w);
            }
        }
    }
}
