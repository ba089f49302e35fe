package org.mmunotifier.core.internal.notifier;

import java.lang.System.Logger.Level;
import java.util.List;
import org.mmunotifier.core.internal.util.RecentLog;

/**
 * Where broken notifiers are reported. Keeps a count, the most recent faults, and logs each one as
 * a warning naming the notifier. A fault never propagates to the primary-MMU operation.
 */
public final class NotifierFaults {
    private static final System.Logger LOG = System.getLogger(NotifierFaults.class.getName());
    static final int KEEP = 256;

    private final RecentLog<NotifierFault> log = new RecentLog<>(KEEP);

    void threw(Object notifier, String callback, long mmId, Throwable t) {
        if (t instanceof VirtualMachineError e) {
            throw e;
        }
        record(new NotifierFault(NotifierFault.identify(notifier), callback, mmId, t, "threw " + t));
    }

    void violated(Object notifier, String callback, long mmId, String what) {
        record(new NotifierFault(NotifierFault.identify(notifier), callback, mmId, null, what));
    }

    private void record(NotifierFault f) {
        log.add(f);
        LOG.log(Level.WARNING, f.toString(), f.cause());
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
