package org.mmunotifier.api.runtime;

import java.util.List;

/**
 * Something that held the core up for longer than the stall threshold: a driver callback that did
 * not return, a grace period or other core wait that waited on one, a process-listener call, a
 * bundle that did not stop. Reported once, when it crosses the threshold; {@link #ongoing()} and
 * {@link #millis()} follow it until it ends.
 *
 * @param id a number for this stall
 * @param kind what was stalled
 * @param bundleId the bundle held responsible, or -1 if none (the core's own wait, or no OSGi)
 * @param bundle that bundle as {@code symbolic-name version [id]}, or a description
 * @param notifier the notifier or listener involved, or empty
 * @param operation the callback or wait ({@code invalidate_range_start MIGRATE [0x1000, 0x2000)}, …)
 * @param mmId the mm involved, or -1
 * @param thread the thread that is (or was) stuck
 * @param millis how long it has lasted (so far, if ongoing)
 * @param ongoing whether it is still stuck
 * @param waiting what is waiting on it (grace periods, lock waiters), as found when reported
 * @param stack the stuck thread's stack when reported, innermost frame first
 * @param outcome what the core did about it ("gave up waiting after 10000 ms", …), or empty
 */
public record Stall(long id, Kind kind, long bundleId, String bundle, String notifier, String operation, long mmId,
        String thread, long millis, boolean ongoing, List<String> waiting, List<String> stack, String outcome) {

    /** What kind of wait stalled. */
    public enum Kind {
        /** A driver callback did not return. */
        CALLBACK,
        /** A grace period (unregister, exit, forced cleanup) waited on a section that did not end. */
        GRACE_PERIOD,
        /** A process listener's spawned/exiting call did not return. */
        LISTENER,
        /** A wait for a lock or for another thread's work (exit's mmap_lock, a release in progress). */
        WAIT,
        /** A bundle did not finish stopping. */
        STOP
    }

    public Stall {
        waiting = List.copyOf(waiting);
        stack = List.copyOf(stack);
    }
}
