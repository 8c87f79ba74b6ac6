package alloy.tensor;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Merge workers' {@link ScratchArena}s, kept between merges of one process: a sweep or a search merges the
 * same model hundreds of times, and each fresh arena would fault its gigabyte in from the kernel again.
 * An arena nobody has taken for {@link #IDLE_SECONDS} seconds is released, so a process that merged once
 * and went on to evaluate does not hold the memory for long.
 */
public final class ScratchPool {

    static final long IDLE_SECONDS = 30;

    private record Idle(ScratchArena arena, long since) {}

    private static final Deque<Idle> IDLE = new ArrayDeque<>();
    private static ScheduledExecutorService trimmer;

    private ScratchPool() {}

    /** An arena for one worker: a kept one when there is one, else a new one. */
    public static synchronized ScratchArena take() {
        Idle i = IDLE.pollFirst();
        return i != null ? i.arena() : new ScratchArena();
    }

    /** Hands {@code arena} back (its current task ended) for the next merge. */
    public static synchronized void give(ScratchArena arena) {
        arena.close();
        IDLE.addFirst(new Idle(arena, System.nanoTime()));
        if (trimmer == null) {
            trimmer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "alloy-scratch-trim");
                t.setDaemon(true);
                return t;
            });
            trimmer.scheduleWithFixedDelay(ScratchPool::trim, IDLE_SECONDS, IDLE_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Releases the arenas idle for longer than {@link #IDLE_SECONDS}. */
    static synchronized void trim() {
        long now = System.nanoTime();
        while (!IDLE.isEmpty() && now - IDLE.peekLast().since() > TimeUnit.SECONDS.toNanos(IDLE_SECONDS)) {
            IDLE.pollLast().arena().release();
        }
    }

    /** Releases every idle arena now. */
    public static synchronized void releaseIdle() {
        while (!IDLE.isEmpty()) IDLE.pollLast().arena().release();
    }
}
