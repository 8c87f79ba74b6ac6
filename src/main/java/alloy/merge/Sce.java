package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * SCE, Select-Calculate-Erase (FuseChat, arXiv:2408.07990; mergekit's sce). With task vectors
 * d_i = x_i - b of the M models besides the base:
 * <ol>
 *   <li>Select: where {@code select_topk} (global, default 1) < 1, keep only the floor(select_topk * z)
 *       positions of largest variance across the d_i (population variance; z = positions of non-zero
 *       variance), zeroing the rest in every d_i.</li>
 *   <li>Calculate: w_i = mean(d_i^2) / sum_j mean(d_j^2), or 1/M where that sum is below 1e-6 (an
 *       absolute threshold in mergekit, so for small fine-tuning deltas the weights are often uniform).</li>
 *   <li>Erase: TIES' sign election by the sum of the (unweighted) d_i; only agreeing entries count.</li>
 * </ol>
 * out = b + sum_agreeing w_i d_i / max(sum_agreeing w_i, 1e-6). {@code int8_mask} is accepted and changes
 * nothing (it picks the dtype of mergekit's mask). No per-model parameters.
 */
public record Sce() implements MergeMethod {

    @Override public String name() { return "sce"; }

    @Override public String summary() { return "task vectors selected by variance across models, weighted per element, signs elected (select, calculate, erase)"; }

    @Override public List<ParamSpec> parameters() {
        return List.of(ParamSpec.flag("int8_mask", false), ParamSpec.number("select_topk", 1.0));
    }

    @Override public List<ParamSpec> tensorParameters() { return List.of(); }

    @Override public BaseUse base() { return BaseUse.REQUIRED; }

    /** Elements per block: task vectors are formed a block at a time in small heap arrays. */
    private static final int BLOCK = 4096;

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        FloatTensor b = requireBase(task, this);
        List<MergeInput> models = task.nonBase();
        checkShapes(task, this, b.shape(), models);
        int m = models.size();
        long n = b.size();
        FloatTensor out = b.copy(arena);
        if (m == 0) return out;
        Blocks blocks = new Blocks(b, models.stream().map(MergeInput::tensor).toArray(FloatTensor[]::new));

        double topk = global(task, this, "select_topk");
        MemorySegment selected = null;   // null: every position
        if (topk < 1) {
            if (topk <= 0) return out;
            FloatTensor variance = FloatTensor.allocate(arena, b.shape());
            float[] var = new float[BLOCK];
            long nonZero = 0;
            for (long at = 0; at < n; at += BLOCK) {
                int len = blocks.load(at, n);
                for (int k = 0; k < len; k++) {
                    double mean = 0;
                    for (int i = 0; i < m; i++) mean += blocks.d[i][k];
                    mean /= m;
                    double sq = 0;
                    for (int i = 0; i < m; i++) {
                        double e = blocks.d[i][k] - mean;
                        sq += e * e;
                    }
                    var[k] = (float) (sq / m);
                    nonZero += nonZero(Float.floatToRawIntBits(var[k]) & 0x7FFFFFFF);
                }
                MemorySegment.copy(var, 0, variance.data(), FloatTensor.F32, at * 4, len);
            }
            long k = (long) (nonZero * topk);
            if (k == 0) return out;
            // the k largest variances are all > 0 (k <= nonZero), so their non-zero bits are the selection
            MagnitudeOrder order = MagnitudeOrder.fast();
            order.keepBand(variance, MagnitudeOrder.Cut.NONE, order.top(variance, k));
            selected = nonZeroBits(variance, arena);
        }

        double[] meanSquare = new double[m];
        for (long at = 0; at < n; at += BLOCK) {
            int len = blocks.load(at, n);
            blocks.select(selected, at, len);
            for (int i = 0; i < m; i++) {
                float[] d = blocks.d[i];
                double s = 0;
                for (int k = 0; k < len; k++) s += (double) d[k] * d[k];
                meanSquare[i] += s;
            }
        }
        double total = 0;
        for (int i = 0; i < m; i++) total += meanSquare[i] /= Math.max(1, n);
        float[] w = new float[m];
        for (int i = 0; i < m; i++) w[i] = (float) (Math.abs(total) < 1e-6 ? 1.0 / m : meanSquare[i] / total);

        // branch-free like SignVote: which deltas agree is data, not structure
        float[] o = new float[BLOCK];
        for (long at = 0; at < n; at += BLOCK) {
            int len = blocks.load(at, n);
            blocks.select(selected, at, len);
            for (int k = 0; k < len; k++) {
                float sum = 0f;
                for (int i = 0; i < m; i++) sum += blocks.d[i][k];
                int sumBits = Float.floatToRawIntBits(sum);
                int negative = (sumBits >>> 31) & nonZero(sumBits & 0x7FFFFFFF);   // ties go to +
                float mixed = 0f, weight = 0f;
                for (int i = 0; i < m; i++) {
                    float d = blocks.d[i][k];
                    int r = Float.floatToRawIntBits(d);
                    int agree = nonZero(r & 0x7FFFFFFF) & (1 ^ (r >>> 31) ^ negative);
                    mixed += keepIf(d * w[i], agree);
                    weight += keepIf(w[i], agree);
                }
                o[k] = blocks.base[k] + mixed / Math.max(weight, 1e-6f);
            }
            MemorySegment.copy(o, 0, out.data(), FloatTensor.F32, at * 4, len);
        }
        return out;
    }

    /** One block of the base and of each task vector, in heap arrays (BLOCK floats each). */
    private static final class Blocks {
        final FloatTensor b;
        final FloatTensor[] x;
        final float[] base = new float[BLOCK];
        final float[][] d;

        Blocks(FloatTensor b, FloatTensor[] x) {
            this.b = b;
            this.x = x;
            this.d = new float[x.length][BLOCK];
        }

        /** Loads elements [at, at + len) and returns len. */
        int load(long at, long n) {
            int len = (int) Math.min(BLOCK, n - at);
            MemorySegment.copy(b.data(), FloatTensor.F32, at * 4, base, 0, len);
            for (int i = 0; i < x.length; i++) {
                float[] di = d[i];
                MemorySegment.copy(x[i].data(), FloatTensor.F32, at * 4, di, 0, len);
                for (int k = 0; k < len; k++) di[k] -= base[k];
            }
            return len;
        }

        /** Zeroes the unselected positions of every task vector (SCE's variance mask). */
        void select(MemorySegment selected, long at, int len) {
            if (selected == null) return;
            for (int k = 0; k < len; k++) {
                int keep = bitOf(selected, at + k);
                for (float[] di : d) di[k] = keepIf(di[k], keep);
            }
        }
    }
}
