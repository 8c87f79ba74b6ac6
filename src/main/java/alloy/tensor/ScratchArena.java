package alloy.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Working memory that one merge worker reuses from tensor to tensor. A fresh confined arena per tensor
 * would take every scratch buffer (the result, a task vector, its masks) from the operating system again:
 * hundreds of MiB of page faults and kernel zero-fill per large tensor. This arena keeps its block between
 * tasks and hands out slices of it, zero-filled as {@link Arena#allocate} promises.
 *
 * <p>Use: one task at a time, on one thread. {@link #close()} ends a task, after which the slices it handed
 * out are recycled (the memory stays mapped, so a stale slice would read the next task's data; the executor
 * drops every reference when a task ends). {@link #release()} frees the memory for good. When a task needs
 * more than the block holds, the overflow comes from extra arenas, freed at the task's end, when one block
 * of the whole size (at least double the old) replaces the old block: a run settles on one block about as
 * large as its largest tensor's working set.
 */
public final class ScratchArena implements Arena {

    // shared arenas: the executor may release a worker's scratch from another thread
    private Arena blockOwner = Arena.ofShared();
    private MemorySegment block = MemorySegment.NULL;
    private long used;
    private final List<Arena> overflow = new ArrayList<>();
    private long overflowBytes;

    @Override public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (byteSize < 0 || byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException("allocate " + byteSize + " bytes aligned to " + byteAlignment);
        }
        long start = (block.address() + used + byteAlignment - 1 & -byteAlignment) - block.address();
        if (start + byteSize <= block.byteSize()) {
            used = start + byteSize;
            MemorySegment s = block.asSlice(start, byteSize);
            s.fill((byte) 0);
            return s;
        }
        Arena extra = Arena.ofShared();
        overflow.add(extra);
        overflowBytes += byteSize + byteAlignment;
        return extra.allocate(byteSize, byteAlignment);   // zero-filled by the JDK
    }

    /** The scope of the current block (slices served beyond it have scopes of their own). */
    @Override public MemorySegment.Scope scope() { return blockOwner.scope(); }

    /** Ends the current task: its slices are recycled, and the block grows to what the task needed. */
    @Override public void close() {
        if (!overflow.isEmpty()) {
            overflow.forEach(Arena::close);
            overflow.clear();
            long need = Math.max(used + overflowBytes, block.byteSize() * 2);   // geometric: few regrowths per run
            blockOwner.close();
            blockOwner = Arena.ofShared();
            block = blockOwner.allocate(need, 64);
            overflowBytes = 0;
        }
        used = 0;
    }

    /** Frees every block; the arena must not be used again. */
    public void release() {
        overflow.forEach(Arena::close);
        overflow.clear();
        blockOwner.close();
        block = MemorySegment.NULL;
    }

    /** Bytes the reusable block holds (for tests and diagnostics). */
    public long capacity() { return block.byteSize(); }
}
