package alloy.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Working memory that one merge worker reuses from tensor to tensor. A fresh confined arena per tensor
 * would take every scratch buffer (the result, a task vector, its masks) from the operating system again:
 * hundreds of MiB of page faults and kernel zero-fill per large tensor. This arena keeps its blocks between
 * tasks and hands out slices of them, zero-filled as {@link Arena#allocate} promises.
 *
 * <p>Use: one task at a time, on one thread. {@link #close()} ends a task, after which the slices it handed
 * out are recycled (the memory stays mapped, so a stale slice would read the next task's data; the executor
 * drops every reference when a task ends). {@link #release()} frees the memory for good. A request that fits
 * in no block gets a new block of its own size, which later tasks reuse: a run settles on blocks about as
 * large as its largest tensor's working set, and no byte is taken from the system twice.
 */
public final class ScratchArena implements Arena {

    private final Arena owner = Arena.ofShared();   // shared: the executor may release a worker's scratch from another thread
    private final List<MemorySegment> blocks = new ArrayList<>();
    private int current;    // block being filled in this task
    private long used;      // bytes used in it

    @Override public MemorySegment allocate(long byteSize, long byteAlignment) {
        MemorySegment s = slice(byteSize, byteAlignment);
        s.fill((byte) 0);
        return s;
    }

    /** As {@link #allocate}, without the zero fill: for buffers the caller overwrites in full before reading. */
    public MemorySegment allocateUninitialized(long byteSize, long byteAlignment) { return slice(byteSize, byteAlignment); }

    private MemorySegment slice(long byteSize, long byteAlignment) {
        if (byteSize < 0 || byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException("allocate " + byteSize + " bytes aligned to " + byteAlignment);
        }
        // first fit from the current block on, in order, so that a task reuses the same slices each time
        for (; current < blocks.size(); current++, used = 0) {
            MemorySegment block = blocks.get(current);
            long start = (block.address() + used + byteAlignment - 1 & -byteAlignment) - block.address();
            if (start + byteSize <= block.byteSize()) {
                used = start + byteSize;
                return block.asSlice(start, byteSize);
            }
        }
        MemorySegment block = owner.allocate(Math.max(byteSize, 1), Math.max(byteAlignment, 64));   // zero-filled by the JDK
        blocks.add(block);
        used = byteSize;
        return block.asSlice(0, byteSize);
    }

    @Override public MemorySegment.Scope scope() { return owner.scope(); }

    /** Ends the current task: its slices are recycled. */
    @Override public void close() {
        current = 0;
        used = 0;
    }

    /** Frees every block; the arena must not be used again. */
    public void release() {
        blocks.clear();
        owner.close();
    }

    /** Bytes the blocks hold (for tests and diagnostics). */
    public long capacity() { return blocks.stream().mapToLong(MemorySegment::byteSize).sum(); }
}
