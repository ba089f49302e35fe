package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.TimeUnit;

/**
 * How long the core lets a driver hold it up. A callback, grace period, listener call or other
 * wait that takes longer than {@link #stallNanos()} is reported as a stall, once. A grace period
 * (or another core wait on a driver) that has waited {@link #giveUpNanos()} on the same stuck
 * callback stops waiting for it, says so, and lets the core go on: nothing a driver does may hang
 * the machine, the framework or the build.
 */
public final class StallPolicy {
    public static final long DEFAULT_STALL_MILLIS = 1_000;
    public static final long DEFAULT_GIVE_UP_MILLIS = 5_000;
    public static final long MIN_MILLIS = 10;
    public static final long MAX_MILLIS = 3_600_000;

    private volatile long stallNanos = TimeUnit.MILLISECONDS.toNanos(DEFAULT_STALL_MILLIS);
    private volatile long giveUpNanos = TimeUnit.MILLISECONDS.toNanos(DEFAULT_GIVE_UP_MILLIS);

    /**
     * @throws IllegalArgumentException if a value is out of range or {@code giveUpMillis} is
     *         below {@code stallMillis}; nothing changes then
     */
    public void set(long stallMillis, long giveUpMillis) {
        check("stallMillis", stallMillis);
        check("giveUpMillis", giveUpMillis);
        if (giveUpMillis < stallMillis) {
            throw new IllegalArgumentException("giveUpMillis=" + giveUpMillis + " is below stallMillis=" + stallMillis
                    + ": the core would give up on a wait before reporting it");
        }
        stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
        giveUpNanos = TimeUnit.MILLISECONDS.toNanos(giveUpMillis);
    }

    private static void check(String name, long v) {
        if (v < MIN_MILLIS || v > MAX_MILLIS) {
            throw new IllegalArgumentException(name + "=" + v + " is out of range: " + MIN_MILLIS + ".." + MAX_MILLIS);
        }
    }

    public long stallNanos() {
        return stallNanos;
    }

    public long giveUpNanos() {
        return giveUpNanos;
    }

    public long stallMillis() {
        return TimeUnit.NANOSECONDS.toMillis(stallNanos);
    }

    public long giveUpMillis() {
        return TimeUnit.NANOSECONDS.toMillis(giveUpNanos);
    }
}
