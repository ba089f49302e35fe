package org.mmunotifier.core.internal.notifier;

import java.util.function.Supplier;

/**
 * A grace period (or another core wait) in progress, for the {@link StallWatchdog}: who waits,
 * since when, for what, and on which thread's section right now.
 */
final class GracePeriod {
    final Thread waiter;
    final long startNanos;
    private final Supplier<String> what;
    /** The slot it is waiting on now; null between slots. */
    volatile ReaderSlot waitingOn;

    GracePeriod(Thread waiter, Supplier<String> what) {
        this.waiter = waiter;
        this.what = what;
        this.startNanos = System.nanoTime();
    }

    /** What it is for ("unregister of ... on mm 3"). */
    String what() {
        return what.get();
    }
}
