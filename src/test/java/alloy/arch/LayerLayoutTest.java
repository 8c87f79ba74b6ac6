package alloy.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The one depth rule that the planner, evolve's and learn's reports share: layer i of n at i / (n - 1), and back. */
class LayerLayoutTest {

    @Test
    void depthOfAndLayerAtUndoEachOther() {
        assertEquals(1.0, LayerLayout.depthOf(0, 1), "a stack of one sits at depth 1");
        assertEquals(0, LayerLayout.layerAt(1.0, 1));
        assertEquals(0.0, LayerLayout.depthOf(0, 4));
        assertEquals(1.0 / 3, LayerLayout.depthOf(1, 4), 1e-15);
        assertEquals(1.0, LayerLayout.depthOf(3, 4));
        for (int n = 1; n <= 48; n++) {
            for (int i = 0; i < n; i++) assertEquals(i, LayerLayout.layerAt(LayerLayout.depthOf(i, n), n), "layer " + i + " of " + n);
        }
        assertEquals(0, LayerLayout.layerAt(0, 12), "embeddings and the head (t = 0) fall on layer 0");
        assertEquals(1, LayerLayout.layerAt(0.5, 2), "halfway rounds up, as Math.round does");
    }
}
