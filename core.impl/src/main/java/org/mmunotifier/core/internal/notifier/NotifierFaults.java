package org.mmunotifier.core.internal.notifier;

import java.lang.System.Logger.Level;
import java.util.List;
import org.mmunotifier.core.internal.util.RecentLog;

/**
 * Where broken notifiers are reported. Every fault is counted and kept in a bounded recent list,
 * attributed to the registration and so to the bundle whose code it is. The first
 * {@value #LOGGED_PER_REGISTRATION} faults of a registration are logged with their stack; after
 * that they are only counted (the log says so once), so a driver that throws on every call
 * cannot flood the console or slow the machine down with stack traces. A fault never propagates
 * to the primary-MMU operation: not an exception, and not an {@link Error} either (a driver's
 * {@code StackOverflowError} or {@code OutOfMemoryError} is the driver's).
 */
public final class NotifierFaults {
    private static final System.Logger LOG = System.getLogger(NotifierFaults.class.getName());
    static final int KEEP = 256;
    static final int LOGGED_PER_REGISTRATION = 3;

    private final RecentLog<NotifierFault> log = new RecentLog<>(KEEP);

    /** {@code callback} of {@code lease} threw {@code t}. */
    void threw(Identity who, CallKind callback, long mmId, Throwable t) {
        record(who, callback, mmId, t, "threw " + describe(t));
    }

    /** {@code callback} of {@code lease} broke the contract as {@code what} says. */
    void violated(Identity who, CallKind callback, long mmId, String what) {
        record(who, callback, mmId, null, what);
    }

    private void record(Identity who, CallKind callback, long mmId, Throwable cause, String message) {
        long n = who.fault();
        NotifierFault f = new NotifierFault(who.owner.name(), who.owner.bundleId(), who.notifier, callback.opName, mmId,
                cause, message, n, System.currentTimeMillis());
        log.add(f);
        try {
            if (n <= LOGGED_PER_REGISTRATION) {
                LOG.log(Level.WARNING, f.toString(), cause);
            }
            if (n == LOGGED_PER_REGISTRATION) {
                LOG.log(Level.WARNING, "further faults of " + who.notifier + " (" + who.owner.name()
                        + ") are counted, not logged: see mmu:faults");
            }
        } catch (Throwable logFailed) {
            // The fault is recorded; a logger that fails (a StackOverflowError's shallow stack) changes nothing.
        }
    }

    /** A throwable's class and message, without calling into a driver's overridden methods twice. */
    private static String describe(Throwable t) {
        String m;
        try {
            m = t.getMessage();
        } catch (Throwable e) {
            m = null;
        }
        return t.getClass().getName() + (m == null ? "" : ": " + m);
    }

    /** Faults reported so far. */
    public long count() {
        return log.count();
    }

    /** The most recent faults, oldest first (at most {@value #KEEP}). */
    public List<NotifierFault> recent() {
        return log.recent();
    }
}
