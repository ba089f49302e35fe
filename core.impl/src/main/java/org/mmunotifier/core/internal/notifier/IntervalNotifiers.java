package org.mmunotifier.core.internal.notifier;

import java.util.ArrayList;
import java.util.List;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.NotRegisteredException;

/**
 * The interval notifiers of one mm ({@code mn_itree_*} in {@code mm/mmu_notifier.c}).
 *
 * <p>{@code invalidateSeq} is a collision-retry lock like a seqcount that many writers may hold at
 * once. Odd means the tree is frozen: some invalidation in flight hit an interval, so inserts and
 * removes wait on the deferred list until the last invalidation ends, and the tree is walked
 * without the lock. Even with {@code activeInvalidateRanges != 0} means invalidations are in
 * flight but hit nothing; an insert then goes straight into the tree but makes the sequence odd,
 * so the new subscription's {@code readBegin} waits for those invalidations too (one of them may
 * be clearing ptes in its interval right now).
 */
final class IntervalNotifiers {
    private final MmStruct mm;
    private final MmLifetime lifetime;
    private final Srcu srcu;
    private final NotifierFaults faults;
    private final Object lock = new Object(); // also the wait queue
    private final IntervalTree<IntervalSubscription> tree = new IntervalTree<>();
    private final List<IntervalSubscription> deferredList = new ArrayList<>();
    private long invalidateSeq = 2; // guarded by lock; starts even (idle)
    private long activeInvalidateRanges; // guarded by lock

    IntervalNotifiers(MmStruct mm, MmLifetime lifetime, NotifierCore core) {
        this.mm = mm;
        this.lifetime = lifetime;
        this.srcu = core.srcu();
        this.faults = core.faults();
    }

    MmStruct mm() {
        return mm;
    }

    private boolean isInvalidating() {
        return (invalidateSeq & 1) != 0;
    }

    /** The caller has taken the mm reference {@link #remove} drops. */
    IntervalSubscription insert(long start, long end, MmuIntervalNotifier notifier, Owner owner) {
        IntervalSubscription sub = new IntervalSubscription(this, start, end, notifier, owner);
        synchronized (lock) {
            if (activeInvalidateRanges != 0) {
                if (isInvalidating()) {
                    // The tree is frozen for walkers: insert when the last invalidation ends.
                    sub.deferred = true;
                    deferredList.add(sub);
                } else {
                    tree.insert(sub);
                    invalidateSeq |= 1;
                }
                sub.initSeq(invalidateSeq); // readBegin waits for the invalidations in flight
            } else {
                sub.initSeq(invalidateSeq - 1); // odd and already past: readBegin need not wait
                tree.insert(sub);
            }
        }
        if (!owner.adopt(sub)) {
            remove(sub, false);
            throw owner.stopped();
        }
        return sub;
    }

    /**
     * {@code mmu_interval_notifier_remove}: waits for the invalidation in flight that may be calling it.
     *
     * @param strict the driver asked: removing twice is its error. Otherwise the core is taking it
     *        back and a subscription already removed is left alone
     */
    void remove(IntervalSubscription sub, boolean strict) {
        if (srcu.inReadSection()) {
            throw new IllegalStateException("an interval subscription cannot be removed from inside a notifier"
                    + " callback: remove() waits for the invalidation that is running the callback");
        }
        long waitFor = 0;
        synchronized (lock) {
            if (sub.removed) {
                if (strict) {
                    throw new NotRegisteredException(sub + " was removed already");
                }
                return;
            }
            sub.removed = true;
            if (isInvalidating()) {
                if (sub.deferred) {
                    // Inserted during this invalidation and never reached the tree: cancel the insert.
                    deferredList.remove(sub);
                    sub.deferred = false;
                } else {
                    sub.deferred = true;
                    deferredList.add(sub);
                    waitFor = invalidateSeq;
                }
            } else {
                tree.remove(sub);
            }
            // Read the sequence under the lock: sampling it outside let remove() return while the
            // last invalidation was still applying the deferred list (Linux 319561669a59).
            boolean interrupted = false;
            while (waitFor != 0 && invalidateSeq == waitFor) {
                interrupted = await(interrupted);
            }
            restoreInterrupt(interrupted);
        }
        sub.owner.disown(sub);
        lifetime.mmdrop();
    }

    long readBegin(IntervalSubscription sub) {
        if (srcu.inReadSection()) {
            throw new IllegalStateException("readBegin() cannot be called from inside a notifier callback:"
                    + " it waits for the invalidation that is running the callback");
        }
        synchronized (lock) {
            long seq = sub.seq();
            // seq == invalidateSeq: an invalidation of this interval is in progress (its callback
            // has set this seq, or it was inserted during one). Wait for the last one to end.
            boolean interrupted = false;
            while (seq == invalidateSeq) {
                interrupted = await(interrupted);
            }
            restoreInterrupt(interrupted);
            return seq;
        }
    }

    /**
     * {@code mn_itree_invalidate}: calls every interval intersecting {@code range}. On refusal of
     * a non-blockable range it ends its own part and returns false; otherwise the caller must
     * call {@link #invalidateEnd()} once the ptes are changed.
     */
    boolean invalidateStart(MmuNotifierRange range) {
        long curSeq;
        boolean hit;
        long start = range.start();
        long last = range.end() - 1;
        synchronized (lock) {
            activeInvalidateRanges++;
            hit = tree.anyIntersecting(start, last);
            if (hit) {
                invalidateSeq |= 1;
            }
            curSeq = invalidateSeq;
        }
        if (!hit) {
            return true;
        }
        // The sequence is odd until the last invalidateEnd, so nothing changes the tree under us.
        ReaderSlot r = srcu.enter();
        boolean done;
        try {
            done = tree.forEachIntersecting(start, last, sub -> callInvalidate(sub, range, curSeq));
        } finally {
            srcu.exit(r);
        }
        if (!done) {
            invalidateEnd();
        }
        return done;
    }

    private boolean callInvalidate(IntervalSubscription sub, MmuNotifierRange range, long curSeq) {
        if (!sub.owner.admits()) {
            return true;
        }
        boolean ok;
        try {
            ok = sub.notifier.invalidate(sub, range, curSeq);
        } catch (Throwable t) {
            faults.threw(sub.notifier, "invalidate", mm.id(), t);
            return true;
        }
        if (!ok && range.isBlockable()) {
            faults.violated(sub.notifier, "invalidate", mm.id(), "refused a blockable invalidation of " + range);
            return true;
        }
        return ok;
    }

    /** {@code mn_itree_inv_end}: the last one makes the sequence even and applies deferred changes. */
    void invalidateEnd() {
        synchronized (lock) {
            activeInvalidateRanges--;
            if (activeInvalidateRanges != 0 || !isInvalidating()) {
                return;
            }
            invalidateSeq++;
            for (IntervalSubscription sub : deferredList) {
                sub.deferred = false;
                if (sub.inTree()) {
                    tree.remove(sub);
                } else {
                    tree.insert(sub);
                }
            }
            deferredList.clear();
            lock.notifyAll();
        }
    }

    int size() {
        synchronized (lock) {
            return tree.size() + (int) deferredList.stream().filter(s -> !s.inTree()).count();
        }
    }

    /** One {@code wait_event} step: not interruptible; returns whether an interrupt arrived. */
    private boolean await(boolean interrupted) {
        try {
            lock.wait();
            return interrupted;
        } catch (InterruptedException e) {
            return true;
        }
    }

    private static void restoreInterrupt(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
