package alloy.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Large buffers for tensors that outlive a merge (an in-memory checkpoint's), uninitialized, on
 * transparent huge pages on Linux, and recycled between merges. Three costs of fresh memory, measured for
 * one 4096 x 11008 float32 tensor (172 MiB) on a 2-core machine:
 * <ul>
 * <li>{@link Arena#allocate} zero-fills on one thread, in 4 KiB pages: 44,000 page faults, 78-93 ms.</li>
 * <li>On 2 MiB pages, faulted in by the two threads that write the result: 24 ms. THP is set to
 *     {@code madvise} on many distributions, so the region asks for huge pages itself
 *     ({@code madvise(MADV_HUGEPAGE)}, Linux's madvise(2)).</li>
 * <li>Memory already faulted in: 10 ms to write. A search or sweep merges the same model into memory
 *     hundreds of times, each result closed before the next; so a closed owner's regions wait here for
 *     the next request of the same size, as {@link ScratchPool} keeps scratch. Idle regions are freed
 *     after {@link #IDLE_SECONDS} seconds, and never more than a quarter of the machine's memory waits.</li>
 * </ul>
 * Where the C library calls are missing (not Linux or macOS) or the buffer is small, the owner arena
 * allocates as usual (zero-filled).
 */
public final class PageMemory {

    /**
     * Below this a buffer is not worth its own huge-page-aligned region: the owner arena allocates it (zero-filled),
     * or a caller with many small buffers carves them from larger regions (MemoryCheckpoint's slabs).
     */
    public static final long LARGE = 4L << 20;

    static final long IDLE_SECONDS = 30;

    private static final long HUGE_PAGE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;   // linux/mman-common.h

    /** The C library's entry points; {@code madvise} is null where huge-page advice means nothing (not Linux). */
    private record Calls(MethodHandle memalign, MethodHandle free, MethodHandle madvise) {
        Calls {
            Objects.requireNonNull(memalign, "posix_memalign");
            Objects.requireNonNull(free, "free");
        }
    }

    /** A region nobody holds, since {@code since} (System.nanoTime). */
    private record Idle(long address, long since) {}

    private static final Optional<Calls> CALLS = lookup();
    private static final Map<Long, Deque<Idle>> IDLE = new HashMap<>();   // by byte size
    private static long idleBytes;
    private static ScheduledExecutorService trimmer;

    private PageMemory() {}

    /**
     * {@code bytes} owned by {@code owner}, aligned to 64 bytes at least, contents unspecified (a recycled
     * region holds an earlier tensor): the caller overwrites every byte before reading one.
     */
    public static MemorySegment allocateUninitialized(long bytes, Arena owner) {
        if (bytes < 0) throw new IllegalArgumentException("allocate " + bytes + " bytes");
        if (bytes < LARGE || CALLS.isEmpty()) return owner.allocate(bytes, 64);
        long address = take(bytes);
        if (address == 0) address = fresh(bytes);
        if (address == 0) return owner.allocate(bytes, 64);   // ENOMEM: let the JDK report it in its own terms
        return MemorySegment.ofAddress(address).reinterpret(bytes, owner, region -> give(region.address(), bytes));
    }

    /** Frees every idle region now. */
    public static synchronized void releaseIdle() {
        for (var e : IDLE.entrySet()) for (Idle i : e.getValue()) free(i.address());
        IDLE.clear();
        idleBytes = 0;
    }

    /** Bytes of idle regions (for tests and diagnostics). */
    static synchronized long idleBytes() { return idleBytes; }

    private static synchronized long take(long bytes) {
        Deque<Idle> d = IDLE.get(bytes);
        Idle i = d == null ? null : d.pollFirst();
        if (i == null) return 0;
        idleBytes -= bytes;
        return i.address();
    }

    /** A closed owner's region: kept for the next request of its size while the cap allows, else freed. */
    private static synchronized void give(long address, long bytes) {
        if (idleBytes + bytes > MachineMemory.total() / 4) {
            free(address);
            return;
        }
        IDLE.computeIfAbsent(bytes, b -> new ArrayDeque<>()).addFirst(new Idle(address, System.nanoTime()));
        idleBytes += bytes;
        if (trimmer == null) {
            trimmer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "alloy-page-trim");
                t.setDaemon(true);
                return t;
            });
            trimmer.scheduleWithFixedDelay(PageMemory::trim, IDLE_SECONDS, IDLE_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Frees the regions idle for longer than {@link #IDLE_SECONDS}. */
    static synchronized void trim() {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Long, Deque<Idle>>> it = IDLE.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Deque<Idle>> e = it.next();
            Deque<Idle> d = e.getValue();
            while (!d.isEmpty() && now - d.peekLast().since() > TimeUnit.SECONDS.toNanos(IDLE_SECONDS)) {
                free(d.pollLast().address());
                idleBytes -= e.getKey();
            }
            if (d.isEmpty()) it.remove();
        }
    }

    /** A new region of {@code bytes} on 2 MiB boundaries, advised onto huge pages; 0 when the C library has none. */
    private static long fresh(long bytes) {
        Calls c = CALLS.orElseThrow();
        try (Arena local = Arena.ofConfined()) {
            MemorySegment at = local.allocate(ValueLayout.ADDRESS);
            int rc = (int) c.memalign().invokeExact(at, HUGE_PAGE, bytes);
            if (rc != 0) return 0;
            MemorySegment region = at.get(ValueLayout.ADDRESS, 0);
            if (c.madvise() != null) {
                // advice only: a refusal (THP disabled) leaves ordinary pages, still correct
                int ignored = (int) c.madvise().invokeExact(region, bytes, MADV_HUGEPAGE);
            }
            return region.address();
        } catch (Throwable e) {
            throw new IllegalStateException("native allocation of " + bytes + " bytes failed", e);
        }
    }

    private static void free(long address) {
        try {
            CALLS.orElseThrow().free().invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }

    private static Optional<Calls> lookup() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        boolean linux = os.contains("linux");
        if (!linux && !os.contains("mac")) return Optional.empty();
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Optional<MemorySegment> memalign = libc.find("posix_memalign"), free = libc.find("free"), madvise = libc.find("madvise");
            if (memalign.isEmpty() || free.isEmpty()) return Optional.empty();
            MethodHandle advise = linux && madvise.isPresent()
                    ? linker.downcallHandle(madvise.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))
                    : null;
            return Optional.of(new Calls(
                    linker.downcallHandle(memalign.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)),
                    linker.downcallHandle(free.get(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)),
                    advise));
        } catch (RuntimeException | LinkageError e) {
            // no native access (a runtime without --enable-native-access that denies it): the JDK's allocator
            return Optional.empty();
        }
    }
}
