package alloy.eval.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Keys (after rotary embedding) and values of every layer for the positions already run, so that
 * generation feeds only the new token each step. Arrays are (batch, kvHeads, length, headDim).
 *
 * <p>Each append replaces a layer's arrays with longer ones and closes the old ones. The new arrays are
 * taken out of the innermost {@link NDScope}, so a caller may run each step in its own scope and the cache
 * outlives it; {@link #close()} releases what the cache holds.
 */
public final class LlamaKvCache implements AutoCloseable {

    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    LlamaKvCache(int layers) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Positions held, the same for every layer once a forward pass has finished. */
    public int length() { return length; }

    /**
     * Appends the new positions of {@code layer} and returns all keys and values so far.
     * {@code k}, {@code v}: (batch, kvHeads, seq, headDim).
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray allK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2); // (batch, kvHeads, past + seq, headDim)
        NDArray allV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
        NDScope.unregister(allK);
        NDScope.unregister(allV);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = allK;
        values[layer] = allV;
        if (layer == keys.length - 1) length = (int) allK.getShape().get(2);
        return new NDArray[] {allK, allV};
    }

    @Override public void close() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) keys[l].close();
            if (values[l] != null) values[l].close();
            keys[l] = null;
            values[l] = null;
        }
        length = 0;
    }
}
