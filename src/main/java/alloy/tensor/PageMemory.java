package alloy.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Large buffers taken fresh from the operating system for tensors that outlive a merge (an in-memory
 * checkpoint's), uninitialized and, on Linux, on transparent huge pages. {@link Arena#allocate} zero-fills
 * on one thread and the memory arrives in 4 KiB pages: for one 4096 x 11008 float32 tensor (172 MiB) that
 * is 44,000 page faults, measured at 78-93 ms on a 2-core machine, against 25 ms to fault in and write the
 * same bytes on 2 MiB pages from two threads. THP is set to {@code madvise} on many distributions, so the
 * region asks for huge pages itself ({@code madvise(MADV_HUGEPAGE)}, Linux's madvise(2)).
 *
 * <p>Where the C library calls are missing (not Linux or macOS) or the buffer is small, the owner arena
 * allocates as usual (zero-filled). Either way the memory is freed when {@code owner} closes.
 */
public final class PageMemory {

    /** Below this a buffer is not worth its own huge-page-aligned region. */
    static final long LARGE = 4L << 20;

    private static final long HUGE_PAGE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;   // linux/mman-common.h

    /** The C library's entry points; {@code madvise} is null where huge-page advice means nothing (not Linux). */
    private record Calls(MethodHandle memalign, MethodHandle free, MethodHandle madvise) {
        Calls {
            Objects.requireNonNull(memalign, "posix_memalign");
            Objects.requireNonNull(free, "free");
        }
    }

    private static final Optional<Calls> CALLS = lookup();

    private PageMemory() {}

    /**
     * {@code bytes} owned by {@code owner}, aligned to 64 bytes at least, contents unspecified: the caller
     * overwrites every byte before reading one.
     */
    public static MemorySegment allocateUninitialized(long bytes, Arena owner) {
        if (bytes < 0) throw new IllegalArgumentException("allocate " + bytes + " bytes");
        if (bytes < LARGE || CALLS.isEmpty()) return owner.allocate(bytes, 64);
        Calls c = CALLS.get();
        try (Arena local = Arena.ofConfined()) {
            MemorySegment at = local.allocate(ValueLayout.ADDRESS);
            int rc = (int) c.memalign().invokeExact(at, HUGE_PAGE, bytes);
            if (rc != 0) return owner.allocate(bytes, 64);   // ENOMEM: let the JDK report it in its own terms
            MemorySegment region = at.get(ValueLayout.ADDRESS, 0);
            if (c.madvise() != null) {
                // advice only: a refusal (THP disabled) leaves ordinary pages, still correct
                int ignored = (int) c.madvise().invokeExact(region, bytes, MADV_HUGEPAGE);
            }
            return region.reinterpret(bytes, owner, PageMemory::free);
        } catch (Throwable e) {
            throw new IllegalStateException("native allocation of " + bytes + " bytes failed", e);
        }
    }

    private static void free(MemorySegment region) {
        try {
            CALLS.orElseThrow().free().invokeExact(region);
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
