package alloy.eval.embed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/** How a text's token states become one vector. Each may be followed by L2 normalization ({@link #normalize}). */
public enum Pooling {

    /** The state of the first token, {@code [CLS]} (bge). */
    CLS {
        @Override public NDArray pool(NDArray hidden, NDArray attentionMask) {
            return hidden.get(new NDIndex(":, 0, :"));                                                    // (batch, hidden)
        }
    },

    /** The mean of the real tokens' states, padding excluded (e5, sentence-transformers MiniLM). */
    MEAN {
        @Override public NDArray pool(NDArray hidden, NDArray attentionMask) {
            NDArray mask = attentionMask.toType(DataType.FLOAT32, false).expandDims(-1);                  // (batch, seq, 1)
            NDArray sum = hidden.mul(mask).sum(new int[] {1});                                            // (batch, hidden)
            NDArray count = mask.sum(new int[] {1}).maximum(1e-9f);                                       // (batch, 1)
            return sum.div(count);                                                                        // (batch, hidden)
        }
    };

    /** {@code hidden} (batch, seq, hidden) and {@code attentionMask} (batch, seq) → (batch, hidden). */
    public abstract NDArray pool(NDArray hidden, NDArray attentionMask);

    /** Each row divided by its L2 norm (norms below 1e-12 count as 1e-12): (batch, hidden) → (batch, hidden). */
    public static NDArray normalize(NDArray pooled) {
        NDArray norm = pooled.square().sum(new int[] {-1}, true).sqrt().maximum(1e-12f);                 // (batch, 1)
        return pooled.div(norm);
    }

    /** {@code cls} or {@code mean}, any case. */
    public static Pooling parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "cls" -> CLS;
            case "mean" -> MEAN;
            default -> throw new IllegalArgumentException("pooling: expected 'cls' or 'mean', found '" + s + "'");
        };
    }
}
