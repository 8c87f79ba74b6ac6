package alloy.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Guards for reading a memory-mapped input that another process may truncate while it is open. A read of a
 * mapped page past the new end of file raises SIGBUS. For plain loads and copies the JVM turns that into an
 * InternalError ("a fault occurred in an unsafe memory access operation"); for the Vector API's compiled
 * loads it does not, and the JVM dies (seen on JDK 25 with FloatVector.fromMemorySegment under C2). So
 * before a tensor is handed out, {@link #check} compares the file's current size with where the tensor
 * ends (one fstat) and reads one byte of every page with plain loads, turning a fault into a
 * CheckpointException that names the file and the tensor. A truncation after that check, while the tensor is
 * being merged, can still fault: {@link #isFault} lets the callers name it.
 */
public final class MappedReads {

    /** The smallest page size of the platforms Alloy runs on; touching more often only costs time. */
    private static final long PAGE = 4096;

    private MappedReads() {}

    /**
     * Refuses {@code tensor} unless {@code file} (open as {@code open}) still reaches {@code endInFile}, then
     * faults every page of {@code view} in with plain loads. The size comes from a RandomAccessFile, not a
     * FileChannel: a FileChannel is closed for good when a thread is interrupted inside it, as merge workers
     * are when another worker fails, and every later read of the checkpoint would then fail.
     */
    public static void check(RandomAccessFile open, Path file, String tensor, long endInFile, MemorySegment view) {
        long size;
        try {
            size = open.length();
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read tensor '" + tensor + "': " + e.getMessage(), e);
        }
        if (size < endInFile) throw shrank(file, tensor, endInFile, size);
        try {
            long n = view.byteSize();
            for (long off = 0; off < n; off += PAGE) view.get(ValueLayout.JAVA_BYTE, off);
            if (n > 0) view.get(ValueLayout.JAVA_BYTE, n - 1);
        } catch (InternalError e) {
            if (!isFault(e)) throw e;
            throw new CheckpointException(file + ": tensor '" + tensor + "' could not be read from the mapped file (truncated while open?)", e);
        }
    }

    static CheckpointException shrank(Path file, String tensor, long needed, long size) {
        return new CheckpointException(file + ": tensor '" + tensor + "' ends at byte " + needed + " but the file is now " + size
                + " bytes: it was truncated or rewritten while open");
    }

    /** Reads an opened input; the file stays open (owned by what it returns) when it succeeds. */
    @FunctionalInterface
    public interface Opener<T> {
        T read(RandomAccessFile file) throws IOException;
    }

    /**
     * Opens {@code file} read-only and hands it to {@code read}, which maps what it needs into {@code arena}.
     * On any failure the file and the arena are closed and one error names the file: missing, unreadable, or
     * faulting while mapped (truncated by another process while it was being opened).
     */
    public static <T> T open(Path file, Arena arena, Opener<T> read) {
        RandomAccessFile ch = null;
        try {
            ch = new RandomAccessFile(file.toFile(), "r");
            return read.read(ch);
        } catch (FileNotFoundException e) {
            release(ch, arena);
            throw new CheckpointException(file + (Files.exists(file) ? ": cannot read: " + e.getMessage() : ": no such file"), e);
        } catch (IOException e) {
            release(ch, arena);
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        } catch (InternalError e) {
            release(ch, arena);
            if (!isFault(e)) throw e;
            throw new CheckpointException(file + ": could not be read from the mapped file (truncated while opening?)", e);
        } catch (RuntimeException e) {
            release(ch, arena);
            throw e;
        }
    }

    private static void release(RandomAccessFile ch, Arena arena) {
        closeQuietly(ch);
        arena.close();
    }

    /** Closes an input opened read-only; an error in closing cannot lose anything. */
    public static void closeQuietly(RandomAccessFile ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // opened read-only: nothing to lose
        }
    }

    /** True for the error the JVM raises when a plain load or copy from a mapped segment hits a missing page. */
    public static boolean isFault(Throwable e) {
        return e instanceof InternalError && e.getMessage() != null && e.getMessage().contains("fault occurred in an unsafe memory access");
    }
}
