package org.mmunotifier.core.internal.notifier;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.mmunotifier.core.internal.util.RecentLog;

/**
 * Where broken notifiers are reported. Every fault is counted and kept in a bounded recent list,
 * attributed to the registration and so to the bundle whose code it is. The first
 * {@value #LOGGED_PER_BUNDLE} faults of a bundle are logged with the top of their stack; after
 * that they are only counted (the log says so once), so a driver that throws on every call, on
 * every one of its registrations, cannot flood the console or slow the machine down with stack
 * traces. A fault never propagates to the primary-MMU operation: not an exception, and not an
 * {@link Error} either (a driver's {@code StackOverflowError} or {@code OutOfMemoryError} is the
 * driver's).
 */
public final class NotifierFaults {
    private static final System.Logger LOG = System.getLogger(NotifierFaults.class.getName());
    static final int KEEP = 256;
    static final int LOGGED_PER_BUNDLE = 3;
    private static final int LOGGED_FRAMES = 25;

    private final RecentLog<NotifierFault> log = new RecentLog<>(KEEP);
    private final Map<Owner, AtomicInteger> loggedPerOwner = new ConcurrentHashMap<>();

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
                message, n, System.currentTimeMillis());
        log.add(f);
        try {
            int logged = loggedPerOwner.computeIfAbsent(who.owner, o -> new AtomicInteger()).incrementAndGet();
            if (logged <= LOGGED_PER_BUNDLE) {
                LOG.log(Level.WARNING, f + top(cause));
            }
            if (logged == LOGGED_PER_BUNDLE) {
                LOG.log(Level.WARNING, "further faults of " + who.owner.name() + " are counted, not logged: see mmu:faults");
            }
        } catch (Throwable logFailed) {
            // The fault is recorded; a logger that fails (a StackOverflowError's shallow stack) changes nothing.
        }
    }

    /** The top of a throwable's stack (a StackOverflowError's is a thousand frames of the same). */
    private static String top(Throwable t) {
        if (t == null) {
            return "";
        }
        StackTraceElement[] st = t.getStackTrace();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(LOGGED_FRAMES, st.length); i++) {
            b.append("\n\tat ").append(st[i]);
        }
        if (st.length > LOGGED_FRAMES) {
            b.append("\n\t... ").append(st.length - LOGGED_FRAMES).append(" more");
        }
        return b.toString();
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
