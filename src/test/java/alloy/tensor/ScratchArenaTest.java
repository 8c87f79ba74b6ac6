package alloy.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class ScratchArenaTest {

    @Test
    void slicesAreZeroedAlignedAndDisjointWithinATask() {
        ScratchArena a = new ScratchArena();
        try {
            for (int task = 0; task < 3; task++) {
                MemorySegment x = a.allocate(1000, 64), y = a.allocate(24, 8), z = a.allocate(4096, 64);
                for (MemorySegment s : new MemorySegment[] {x, y, z}) {
                    for (long i = 0; i < s.byteSize(); i++) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "task " + task + " byte " + i);
                }
                assertEquals(0, x.address() % 64);
                assertEquals(0, z.address() % 64);
                assertTrue(x.address() + x.byteSize() <= y.address() || y.address() + y.byteSize() <= x.address());
                assertTrue(y.address() + y.byteSize() <= z.address() || z.address() + z.byteSize() <= y.address());
                // dirty everything so that the next task must see zeros again
                x.fill((byte) 7);
                y.fill((byte) 7);
                z.fill((byte) 7);
                a.close();
            }
        } finally {
            a.release();
        }
    }

    @Test
    void theBlockGrowsToTheLargestTaskAndIsThenReused() {
        ScratchArena a = new ScratchArena();
        try {
            assertEquals(0, a.capacity());
            a.allocate(1 << 20, 64);
            a.allocate(1 << 20, 64);
            a.close();
            long grown = a.capacity();
            assertTrue(grown >= 2 << 20, "block of " + grown + " bytes after a task of 2 MiB");
            MemorySegment first = a.allocate(1 << 20, 64);
            a.close();
            MemorySegment again = a.allocate(1 << 20, 64);
            assertEquals(first.address(), again.address(), "the next task reuses the same memory");
            assertEquals(grown, a.capacity());
            a.close();
        } finally {
            a.release();
        }
    }

    @Test
    void badRequestsAreRefused() {
        ScratchArena a = new ScratchArena();
        try {
            assertThrows(IllegalArgumentException.class, () -> a.allocate(-1, 8));
            assertThrows(IllegalArgumentException.class, () -> a.allocate(8, 3));
        } finally {
            a.release();
        }
    }

    @Test
    void uninitializedTensorsComeFromTheBlocksAndPlainArenasStillZero() {
        ScratchArena a = new ScratchArena();
        try (java.lang.foreign.Arena plain = java.lang.foreign.Arena.ofConfined()) {
            FloatTensor first = FloatTensor.allocate(a, Shape.of(256));
            first.data().fill((byte) 7);
            a.close();
            FloatTensor reused = FloatTensor.uninitialized(a, Shape.of(256));
            assertEquals(first.data().address(), reused.data().address());
            assertEquals(1024, reused.data().byteSize());
            FloatTensor fromPlain = FloatTensor.uninitialized(plain, Shape.of(256));
            for (long i = 0; i < 256; i++) assertEquals(0f, fromPlain.get(i));
        } finally {
            a.release();
        }
    }
}
