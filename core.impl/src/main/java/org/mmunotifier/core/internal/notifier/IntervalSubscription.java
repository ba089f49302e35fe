package org.mmunotifier.core.internal.notifier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;

/** {@code struct mmu_interval_notifier}: one interval subscription, a node of its mm's tree. */
final class IntervalSubscription extends IntervalTree.Node implements MmuIntervalSubscription, Lease {
    private static final VarHandle SEQ = VarHandles.field(MethodHandles.lookup(), "invalidateSeq", long.class);

    final MmuIntervalNotifier notifier;
    private final IntervalNotifiers itree;
    final Identity identity;
    /** Written under the tree's lock or the driver's update lock, read racily by checkRetry. */
    private volatile long invalidateSeq;
    /** On the tree's deferred list (an insert or a remove waiting for the invalidation to end). */
    boolean deferred; // guarded by the tree's lock
    /** Written under the tree's lock; read without it by an invalidation about to call it. */
    volatile boolean removed;

    IntervalSubscription(IntervalNotifiers itree, long start, long end, MmuIntervalNotifier notifier, Identity identity) {
        super(start, end - 1);
        this.itree = itree;
        this.notifier = notifier;
        this.identity = identity;
    }

    @Override
    public Identity identity() {
        return identity;
    }

    long seq() {
        return invalidateSeq;
    }

    void initSeq(long seq) {
        invalidateSeq = seq;
    }

    @Override
    public MmStruct mm() {
        return itree.mm();
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
        return itree.readBegin(this);
    }

    @Override
    public long readBegin(long timeout, TimeUnit unit) {
        return itree.readBegin(this, unit.toNanos(timeout));
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
        itree.remove(this, true);
    }

    @Override
    public void forceRemove() {
        itree.remove(this, false);
    }

    @Override
    public String describe() {
        return toString();
    }

    @Override
    public long mmId() {
        return itree.mm().id();
    }

    @Override
    public String toString() {
        return "interval [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(last + 1) + ") of mm "
                + itree.mm().id() + " -> " + identity.notifier;
    }
}
