package alloy.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Small tensors of an in-memory checkpoint share slabs: each keeps its own bytes (no two overlap, however many
 * and of whatever sizes, across slab boundaries), is 64-byte aligned for the vector kernels, and large ones
 * still get regions of their own.
 */
class MemoryCheckpointSlabTest {

    @Test
    void tensorsCarvedFromSlabsNeverOverlap() {
        try (MemoryCheckpoint ck = new MemoryCheckpoint("slabs", Optional.empty())) {
            List<FloatTensor> all = new ArrayList<>();
            // 384-wide rows as in a small encoder, odd sizes, and one past the slab's small-tensor bound
            long[][] shapes = {{384}, {384, 384}, {1536, 384}, {7}, {1}, {3, 5}, {1024, 1024}, {1025, 1024}, {512, 1536}};
            for (int round = 0; round < 12; round++) {
                for (long[] s : shapes) all.add(ck.uninitialized(new Shape(s)));
            }
            for (int i = 0; i < all.size(); i++) {
                FloatTensor t = all.get(i);
                assertEquals(0, t.data().address() % 64, "tensor " + i + " is 64-byte aligned");
                for (long k = 0; k < t.size(); k++) t.data().setAtIndex(FloatTensor.F32, k, i + 0.5f);
            }
            for (int i = 0; i < all.size(); i++) {
                FloatTensor t = all.get(i);
                for (long k = 0; k < t.size(); k += Math.max(1, t.size() / 97)) {
                    assertEquals(i + 0.5f, t.data().getAtIndex(FloatTensor.F32, k), "tensor " + i + " element " + k + " was overwritten");
                }
                assertEquals(i + 0.5f, t.data().getAtIndex(FloatTensor.F32, t.size() - 1), "tensor " + i + " last element");
            }
            assertTrue(all.stream().mapToLong(FloatTensor::size).sum() * 4 > 3 * (16L << 20), "the test spans several slabs");
        }
    }
}
