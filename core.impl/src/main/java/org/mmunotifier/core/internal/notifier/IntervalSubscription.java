package org.mmunotifier.core.internal.notifier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;

/** {@code struct mmu_interval_notifier}: one interval subscription, a node of its mm's tree. */
final class IntervalSubscription extends IntervalTree.Node implements MmuIntervalSubscription {
    private static final VarHandle SEQ;

    static {
        try {
            SEQ = MethodHandles.lookup().findVarHandle(IntervalSubscription.class, "invalidateSeq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final MmuIntervalNotifier notifier;
    private final IntervalNotifiers owner;
    /** Written under the owner's lock or the driver's update lock, read racily by checkRetry. */
    private volatile long invalidateSeq;
    /** On the owner's deferred list (an insert or a remove waiting for the invalidation to end). */
    boolean deferred; // guarded by the owner's lock
    boolean removed; // guarded by the owner's lock

    IntervalSubscription(IntervalNotifiers owner, long start, long end, MmuIntervalNotifier notifier) {
        super(start, end - 1);
        this.owner = owner;
        this.notifier = notifier;
    }

    long seq() {
        return invalidateSeq;
    }

    void initSeq(long seq) {
        invalidateSeq = seq;
    }

    @Override
    public MmStruct mm() {
        return owner.mm();
    }

    @Override
    public long start() {
        return start;
    }

    @Override
    public long end() {
        return last + 1;
    }

    @Override
    public long readBegin() {
        return owner.readBegin(this);
    }

    @Override
    public boolean readRetry(long seq) {
        return invalidateSeq != seq;
    }

    @Override
    public boolean checkRetry(long seq) {
        return (long) SEQ.getOpaque(this) != seq;
    }

    @Override
    public void setSeq(long curSeq) {
        invalidateSeq = curSeq;
    }

    @Override
    public void remove() {
        owner.remove(this);
    }

    @Override
    public String toString() {
        return "interval [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(last + 1) + ") of mm "
                + owner.mm().id() + " -> " + NotifierFault.identify(notifier);
    }
}
