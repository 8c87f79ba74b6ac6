package alloy.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Large uninitialized buffers: usable, owned by their arena, and recycled after it closes. */
class PageMemoryTest {

    @BeforeEach
    @AfterEach
    void release() { PageMemory.releaseIdle(); }

    @Test
    void aBufferIsWritableAndEndsWithItsOwner() {
        long bytes = PageMemory.LARGE + 4096;
        MemorySegment s;
        try (Arena owner = Arena.ofShared()) {
            s = PageMemory.allocateUninitialized(bytes, owner);
            assertEquals(bytes, s.byteSize());
            assertEquals(0, s.address() % 64);
            s.fill((byte) 7);
            assertEquals((byte) 7, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
        }
        MemorySegment closed = s;
        assertThrows(IllegalStateException.class, () -> closed.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void aClosedOwnersRegionServesTheNextRequestOfItsSize() {
        long bytes = PageMemory.LARGE * 2;
        long first;
        try (Arena owner = Arena.ofShared()) {
            first = PageMemory.allocateUninitialized(bytes, owner).address();
        }
        boolean pooled = PageMemory.idleBytes() == bytes;   // false only where the C library calls are missing
        try (Arena owner = Arena.ofShared()) {
            MemorySegment again = PageMemory.allocateUninitialized(bytes, owner);
            if (pooled) {
                assertEquals(first, again.address(), "the idle region is reused");
                assertEquals(0, PageMemory.idleBytes());
            }
            // another size while that one is held: a region of its own
            MemorySegment other = PageMemory.allocateUninitialized(bytes + 64, owner);
            assertNotEquals(again.address(), other.address());
        }
        if (pooled) assertEquals(2 * bytes + 64, PageMemory.idleBytes());
        PageMemory.releaseIdle();
        assertEquals(0, PageMemory.idleBytes());
    }

    @Test
    void smallBuffersComeFromTheArenaZeroed() {
        try (Arena owner = Arena.ofConfined()) {
            MemorySegment s = PageMemory.allocateUninitialized(1000, owner);
            assertEquals(1000, s.byteSize());
            for (long i = 0; i < 1000; i++) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
        }
        assertEquals(0, PageMemory.idleBytes());
    }
}
