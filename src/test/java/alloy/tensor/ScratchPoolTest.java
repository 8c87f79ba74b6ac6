package alloy.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ScratchPoolTest {

    @Test
    void anArenaHandedBackIsTakenAgainWithItsBlocksAndReleasedWhenIdle() {
        ScratchPool.releaseIdle();
        ScratchArena a = ScratchPool.take();
        a.allocate(1 << 16, 64);
        ScratchPool.give(a);
        ScratchArena again = ScratchPool.take();
        assertSame(a, again, "the kept arena is reused");
        assertEquals(1 << 16, again.capacity(), "with its memory");
        ScratchArena other = ScratchPool.take();
        assertNotSame(again, other, "an arena in use is not handed out twice");
        ScratchPool.give(again);
        ScratchPool.give(other);
        ScratchPool.releaseIdle();
        assertNotSame(a, ScratchPool.take(), "released arenas are gone");
    }
}
