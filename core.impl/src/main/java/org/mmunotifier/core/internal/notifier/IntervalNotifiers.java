package org.mmunotifier.core.internal.notifier;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmBusyException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.jfr.Trace;
import org.mmunotifier.core.internal.util.BoundedWait;

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
 *
 * <p>Every {@link #invalidateStart} is matched by one {@link #invalidateEnd()}, whatever a
 * driver's callback throws: an end that never came would leave the sequence odd, and every
 * {@code readBegin} and {@code remove} of the mm would wait for ever.
 */
final class IntervalNotifiers {
    private final MmStruct mm;
    private final MmLifetime lifetime;
    private final NotifierCore core;
    private final Srcu srcu;
    private final NotifierFaults faults;
    private final Object lock = new Object(); // also the wait queue
    private final IntervalTree<IntervalSubscription> tree = new IntervalTree<>();
    private final List<IntervalSubscription> deferredList = new ArrayList<>();
    private long invalidateSeq = 2; // guarded by lock; starts even (idle)
    private long activeInvalidateRanges; // guarded by lock
    private boolean dead; // guarded by lock: exit has begun, inserts are refused

    IntervalNotifiers(MmStruct mm, MmLifetime lifetime, NotifierCore core) {
        this.mm = mm;
        this.lifetime = lifetime;
        this.core = core;
        this.srcu = core.srcu();
        this.faults = core.faults();
    }

    MmStruct mm() {
        return mm;
    }

    private boolean isInvalidating() {
        return (invalidateSeq & 1) != 0;
    }

    /**
     * {@code mmu_interval_notifier_insert}. The check that the mm is alive, the owner's adoption and
     * the insert are one step under the lock: an insert racing exit either fails or is in the tree
     * (or on the deferred list) when exit's teardown invalidation walks it.
     */
    IntervalSubscription insert(long start, long end, MmuIntervalNotifier notifier, Identity who) {
        IntervalSubscription sub = new IntervalSubscription(this, start, end, notifier, who);
        synchronized (lock) {
            if (dead) {
                throw new MmDeadException("mm " + mm.id() + " has begun to exit: cannot insert an interval"
                        + " subscription for " + who.notifier);
            }
            if (!who.owner.adopt(sub)) {
                throw who.owner.stopped();
            }
            lifetime.mmgrab(); // dropped by remove()
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
            core.registered(sub);
        }
        return sub;
    }

    /**
     * {@link #readBegin} with a bound: waits at most {@code timeoutNanos} for the invalidations of
     * this interval in progress to end.
     *
     * @throws MmBusyException if one is still in progress then, or the wait was interrupted
     */
    long readBegin(IntervalSubscription sub, long timeoutNanos) {
        if (srcu.inReadSection()) {
            throw new IllegalStateException("readBegin() cannot be called from inside a notifier callback:"
                    + " it waits for the invalidation that is running the callback");
        }
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (lock) {
            long seq = sub.seq();
            while (seq == invalidateSeq) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new MmBusyException(sub + ": an invalidation of it is still in progress after "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MmBusyException(sub + ": interrupted while waiting for an invalidation to end");
                }
            }
            return seq;
        }
    }

    /**
     * {@code mmu_interval_notifier_remove}: waits for the invalidation in flight that may be calling
     * it, at most the give-up time (a callback stuck that long is the watchdog's to report; the
     * subscription is then marked removed, so the stuck invalidation does not call it again).
     *
     * @param strict the driver asked: removing twice is its error. Otherwise the core is taking it
     *        back and a subscription already removed is left alone
     */
    void remove(IntervalSubscription sub, boolean strict) {
        if (srcu.inReadSection()) {
            throw new IllegalStateException("an interval subscription cannot be removed from inside a notifier callback:"
                    + " remove() waits for the invalidation that is running the callback");
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
        }
        if (waitFor != 0) {
            awaitSeqChange(waitFor, "remove of " + sub);
        }
        sub.identity.owner.disown(sub);
        sub.identity.retire();
        core.removed(sub);
        lifetime.mmdrop();
    }

    /**
     * Waits until the sequence is no longer {@code seq}, reading it under the lock: sampling it
     * outside let remove() return while the last invalidation was still applying the deferred list
     * (Linux 319561669a59). Bounded by the give-up time; reported as a stall past the threshold.
     *
     * @return false if it gave up
     */
    private boolean awaitSeqChange(long seq, String what) {
        StallPolicy policy = core.stallPolicy();
        long t0 = System.nanoTime();
        synchronized (lock) {
            if (BoundedWait.await(lock, () -> invalidateSeq != seq, policy.stallNanos())) {
                return true;
            }
        }
        try (StallWatchdog.Activity waiting = core.watchdog().track(Stall.Kind.WAIT, what
                + " waits for an invalidation of mm " + mm.id() + " to end", mm.id(), t0)) {
            synchronized (lock) {
                return BoundedWait.await(lock, () -> invalidateSeq != seq,
                        Math.max(0, policy.giveUpNanos() - (System.nanoTime() - t0)));
            }
        }
    }

    /**
     * {@code mmu_interval_read_begin}. If the thread is interrupted while waiting (a device being
     * stopped), returns at once a sequence that {@code readRetry} always rejects, with the interrupt
     * status kept: the driver's retry loop then ends instead of hanging.
     */
    long readBegin(IntervalSubscription sub) {
        if (srcu.inReadSection()) {
            throw new IllegalStateException("readBegin() cannot be called from inside a notifier callback:"
                    + " it waits for the invalidation that is running the callback");
        }
        synchronized (lock) {
            long seq = sub.seq();
            // seq == invalidateSeq: an invalidation of this interval is in progress (its callback
            // has set this seq, or it was inserted during one). Wait for the last one to end.
            while (seq == invalidateSeq) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return seq - 1; // never the subscription's seq: odd values only are set
                }
            }
            return seq;
        }
    }

    /**
     * {@code mn_itree_invalidate}: calls every interval intersecting {@code range}, inside the
     * caller's read-side section {@code r}. On refusal of a non-blockable range it ends its own
     * part and returns false; otherwise the caller must call {@link #invalidateEnd()} once the ptes
     * are changed.
     */
    boolean invalidateStart(InvalidationRange range, ReaderSlot r, long outer) {
        long curSeq;
        long start = range.start();
        long last = range.end() - 1;
        synchronized (lock) {
            activeInvalidateRanges++;
            if (!tree.anyIntersecting(start, last)) {
                return true;
            }
            invalidateSeq |= 1;
            curSeq = invalidateSeq;
        }
        // The sequence is odd until the last invalidateEnd, so nothing changes the tree under us.
        boolean done = false;
        int kind = r.kind;
        r.kind = CallKind.INTERVAL_INVALIDATE.pack(range.event());
        try {
            boolean traced = Trace.invalidations();
            done = tree.forEachIntersecting(start, last, sub -> callInvalidate(sub, range, curSeq, r, outer, traced));
            return done;
        } finally {
            r.kind = kind;
            if (!done) {
                invalidateEnd();
            }
        }
    }

    private boolean callInvalidate(IntervalSubscription sub, InvalidationRange range, long curSeq, ReaderSlot r,
            long outer, boolean traced) {
        if (sub.removed || !sub.identity.owner.admits()) {
            return true; // removed while this invalidation was stuck elsewhere: never called again
        }
        boolean ok = true;
        r.calling(sub.identity.id, outer);
        try {
            ok = traced ? Trace.invalidate(sub.identity, CallKind.INTERVAL_INVALIDATE.opName, range, mm.id(),
                    () -> sub.notifier.invalidate(sub, range, curSeq)) : sub.notifier.invalidate(sub, range, curSeq);
        } catch (Throwable t) {
            faults.threw(sub.identity, CallKind.INTERVAL_INVALIDATE, mm.id(), t);
            return true;
        } finally {
            Told told = range.told();
            if (told != null && (ok || range.isBlockable())) {
                told.heardInterval(sub.identity);
            }
        }
        if (!ok && range.isBlockable()) {
            faults.violated(sub.identity, CallKind.INTERVAL_INVALIDATE, mm.id(), "refused a blockable invalidation of "
                    + range);
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

    /**
     * {@code mn_itree_release}: exit's {@code RELEASE} of the whole address space. Refuses inserts
     * from now on, under the lock, in the same step that makes the teardown visible; inserts made
     * before (even ones still deferred behind an invalidation in flight) are invalidated too, so
     * every subscription hears the teardown.
     */
    void release() {
        InvalidationRange all = new InvalidationRange(mm, 0, Addresses.TASK_SIZE, MmuNotifierEvent.RELEASE);
        List<IntervalSubscription> pending;
        synchronized (lock) {
            dead = true;
            pending = deferredList.stream().filter(s -> !s.inTree() && !s.removed).toList();
        }
        ReaderSlot r = srcu.enter();
        long outer = r.beginDispatch(CallKind.INTERVAL_INVALIDATE.pack(MmuNotifierEvent.RELEASE), all.start(), all.end());
        try {
            if (invalidateStart(all, r, outer)) {
                try {
                    long seq;
                    synchronized (lock) {
                        seq = invalidateSeq;
                    }
                    boolean traced = Trace.invalidations();
                    for (IntervalSubscription s : pending) {
                        callInvalidate(s, all, seq | 1, r, outer, traced);
                    }
                } finally {
                    invalidateEnd();
                }
            }
        } finally {
            r.endDispatch(outer);
            srcu.exit(r);
        }
    }

    int size() {
        synchronized (lock) {
            return tree.size() + (int) deferredList.stream().filter(s -> !s.inTree()).count();
        }
    }
}
