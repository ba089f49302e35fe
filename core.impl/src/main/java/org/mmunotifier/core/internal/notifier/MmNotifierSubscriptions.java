package org.mmunotifier.core.internal.notifier;

import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.AlreadyRegisteredException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.NotifiersDisabledException;
import org.mmunotifier.core.internal.jfr.Trace;
import org.mmunotifier.core.internal.util.CopyOnWrite;

/**
 * The notifier subscriptions of one mm ({@code struct mmu_notifier_subscriptions}) and the hooks
 * the primary MMU calls on it.
 *
 * <p>Read side: {@link #hooks} is one volatile field holding an immutable subscriber array (and the
 * interval notifiers, once any was inserted), or null when there is nothing to call. A hook reads
 * it once and returns on null; otherwise it enters a {@link Srcu} section and walks the array,
 * reading each registration's state before calling it. No lock is shared between readers.
 *
 * <p>Write side: every change copies the array under {@link #lock} and publishes a new
 * {@link Hooks}; unlinking is followed by a grace period before the caller may assume that no
 * callback runs.
 *
 * <p>A driver's callback never breaks the primary: whatever it throws ({@link Error}s included) is
 * recorded as its fault, and the hook goes on with the other notifiers; each start still gets its
 * end, and the read-side section is always left.
 */
public final class MmNotifierSubscriptions {
    private static final Subscription[] NONE = {};

    /** What a hook needs, published as one unit. */
    private record Hooks(Subscription[] list, IntervalNotifiers itree) {
    }

    private final MmStruct mm;
    private final MmLifetime lifetime;
    private final ReentrantReadWriteLock mmapLock;
    private final NotifierCore core;
    private final Srcu srcu;
    private final NotifierFaults faults;

    private volatile Hooks hooks;

    private final Object lock = new Object();
    private Subscription[] list = NONE; // guarded by lock
    private IntervalNotifiers itree; // guarded by lock; once set, kept (has_itree)
    private boolean dead; // guarded by lock
    private boolean everLinked; // guarded by lock
    /** Every registration not yet unregistered or put, including ones exit has released. */
    private final Map<MmuNotifier, Subscription> byNotifier = new IdentityHashMap<>(); // guarded by lock
    private final Map<MmuNotifierOps<?>, Subscription> byOps = new IdentityHashMap<>(); // guarded by lock

    MmNotifierSubscriptions(MmStruct mm, MmLifetime lifetime, ReentrantReadWriteLock mmapLock, NotifierCore core) {
        this.mm = mm;
        this.lifetime = lifetime;
        this.mmapLock = mmapLock;
        this.core = core;
        this.srcu = core.srcu();
        this.faults = core.faults();
    }

    long mmId() {
        return mm.id();
    }

    // ------------------------------------------------------------------ registration

    /** {@code mmu_notifier_register}: takes {@code mmap_lock} for write, which waits out every invalidation. */
    public void register(MmuNotifier notifier) {
        checkRegistrable(notifier);
        // Outside mmap_lock: resolving the owner may call into the framework, naming it into the driver.
        Identity who = core.newIdentity(core.openOwnerOf(notifier), notifier);
        lockMmapForWrite("register " + who.notifier);
        try {
            link(notifier, null, who);
        } finally {
            mmapLock.writeLock().unlock();
        }
    }

    /** {@code __mmu_notifier_register}: the caller holds {@code mmap_lock} for write. */
    public void registerLocked(MmuNotifier notifier) {
        checkRegistrable(notifier);
        requireMmapWriteLocked("registerLocked");
        link(notifier, null, core.newIdentity(core.openOwnerOf(notifier), notifier));
    }

    public <N extends MmuNotifier> N get(MmuNotifierOps<N> ops) {
        Objects.requireNonNull(ops, "ops");
        checkCompiledIn();
        lockMmapForWrite("get a notifier of " + Identity.nameOf(ops));
        try {
            return getLocked(ops);
        } finally {
            mmapLock.writeLock().unlock();
        }
    }

    /**
     * {@code mmu_notifier_get_locked}. {@code mmap_lock} held for write keeps other gets on this mm
     * out while {@code allocNotifier} runs without our lock. If the notifier cannot be linked (the
     * mm began to exit meanwhile, its bundle is stopping), it is handed back to
     * {@code freeNotifier} at once: it was never linked, so nothing can be calling it.
     */
    @SuppressWarnings("unchecked")
    public <N extends MmuNotifier> N getLocked(MmuNotifierOps<N> ops) {
        Objects.requireNonNull(ops, "ops");
        checkCompiledIn();
        requireMmapWriteLocked("getLocked");
        synchronized (lock) {
            checkAlive("get a notifier of " + Identity.nameOf(ops));
            Subscription s = byOps.get(ops);
            if (s != null && s.isActive()) {
                s.users++;
                return (N) s.notifier;
            }
        }
        Owner owner = core.openOwnerOf(ops); // before allocNotifier: refused, it allocates nothing
        N notifier = Objects.requireNonNull(ops.allocNotifier(mm),
                () -> Identity.nameOf(ops) + ".allocNotifier returned null");
        Identity who = core.newIdentity(owner, notifier);
        try {
            link(notifier, ops, who);
        } catch (RuntimeException e) {
            freeNotifier((MmuNotifierOps<MmuNotifier>) ops, notifier, who);
            throw e;
        }
        return notifier;
    }

    /**
     * Links a new registration. The owner adopts it before it is published, under our lock: an
     * owner that is being cleaned up refuses, and then nothing was ever visible to a dispatch.
     * (Publishing first and undoing it after a refused adoption let a dispatch that read the new
     * list be refused and counted as a call into a stopped bundle that nobody made.)
     */
    private void link(MmuNotifier notifier, MmuNotifierOps<?> ops, Identity who) {
        Subscription s = new Subscription(this, notifier, ops, who);
        synchronized (lock) {
            checkAlive("register " + who.notifier);
            if (byNotifier.containsKey(notifier) || indexOf(list, notifier) >= 0) {
                throw new AlreadyRegisteredException(who.notifier + " is registered on mm " + mm.id() + " already");
            }
            if (!who.owner.adopt(s)) {
                throw who.owner.stopped();
            }
            byNotifier.put(notifier, s);
            if (ops != null) {
                byOps.put(ops, s);
            }
            list = CopyOnWrite.with(list, s);
            publish();
            everLinked = true;
            lifetime.mmgrab();
            core.registered(s);
        }
    }

    /**
     * The core taking back a registration whose owner went away: unlinked with no further call
     * into it (no release, no free_notifier), then a grace period so that none is still running.
     */
    void forceRemove(Subscription s) {
        boolean forget;
        synchronized (lock) {
            forget = byNotifier.remove(s.notifier, s);
            if (forget && s.ops != null) {
                byOps.remove(s.ops, s);
            }
            unlink(s); // a no-op if exit unlinked it
        }
        if (!forget) {
            return; // unregister or put won
        }
        if (!s.tryKill() && !s.isReleasingOnThisThread()) {
            awaitRelease(s); // exit is calling its release: the owner is still stopping, let it finish
        }
        afterUnlink(s, "forced removal of ");
    }

    /**
     * {@code mmu_notifier_unregister}. Exactly one of exit and unregister calls {@code release},
     * and it does so before unlinking: a notifier unlinked first would miss the invalidations of
     * pages reclaimed meanwhile, and those pages could be freed while it still maps them.
     *
     * <p>The caller claims the registration first, under the lock: a second unregister of the same
     * notifier, on any thread, gets {@link NotRegisteredException}. Called from the notifier's own
     * {@code release} (run by exit, or by an unregister on this thread), it marks the registration
     * dead and unlinks it at once, so no callback of it begins after it returns; the grace period
     * then waits for the callbacks of it still running on other threads (see {@link Srcu} for why
     * this cannot deadlock).
     */
    public void unregister(MmuNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        Subscription s;
        boolean fromOwnRelease = false;
        synchronized (lock) {
            s = byNotifier.get(notifier);
            if (s == null) {
                s = releasingOnThisThread(notifier);
                if (s == null) {
                    throw new NotRegisteredException(Identity.nameOf(notifier) + " is not registered on mm "
                            + mm.id());
                }
                // From the release an unregister on this thread is running: that unregister drops
                // the registration's references once release returns; the guarantee holds here
                // already: no callback of it begins, and none still runs on another thread.
                unlink(s);
                s.markDead();
                fromOwnRelease = true;
            } else if (s.ops != null) {
                throw new NotRegisteredException(s.identity.notifier + " was obtained from get() on mm " + mm.id()
                        + ": drop it with put(), not unregister()");
            } else {
                byNotifier.remove(notifier);
            }
        }
        if (fromOwnRelease) {
            gracePeriod(s, "unregister from its own release of ");
            return;
        }
        if (releaseIfFirst(s) || s.isReleasingOnThisThread()) {
            unlinkDead(s);
        } else if (!s.isDead()) {
            awaitRelease(s); // exit on another thread is releasing it, and unlinks it after
            unlinkDead(s);
        }
        afterUnlink(s, "unregister of ");
    }

    /** The grace period after an unlink, then the registration's references go. */
    private void afterUnlink(Subscription s, String what) {
        s.owner.disown(s);
        gracePeriod(s, what);
        core.removed(s);
        lifetime.mmdrop();
    }

    /** Waits until no callback of {@code s}, which is unlinked and dead, runs on another thread. */
    private void gracePeriod(Subscription s, String what) {
        // Callbacks that read the array before the unlink may still be running on other threads.
        long id = s.identity.id;
        srcu.synchronize(x -> x == id, () -> what + s.describe());
    }

    private void unlinkDead(Subscription s) {
        synchronized (lock) {
            unlink(s);
        }
        s.markDead();
    }

    /** A registration of {@code notifier} whose release this thread is running, or null. */
    private Subscription releasingOnThisThread(MmuNotifier notifier) {
        int i = indexOf(list, notifier);
        return i >= 0 && list[i].isReleasingOnThisThread() ? list[i] : null;
    }

    /**
     * Waits for another thread's release of {@code s} to return, as a core wait (a grace period on
     * that thread then need not wait for us) bounded by the give-up time. A release stuck for
     * longer is the driver's stall: the watchdog reports it, and we take the registration away.
     */
    private void awaitRelease(Subscription s) {
        boolean[] done = new boolean[1];
        srcu.blockedInCore(() -> done[0] = s.awaitDead(core.stallPolicy().giveUpNanos()));
        if (!done[0]) {
            System.getLogger(MmNotifierSubscriptions.class.getName()).log(System.Logger.Level.ERROR,
                    "gave up waiting for the release of " + s.describe() + " (" + s.owner.name()
                            + ") after " + core.stallPolicy().giveUpMillis() + " ms: it is taken away unfinished");
            s.markDead();
        }
    }

    /** {@code mmu_notifier_put}: the last reference unlinks without release and frees after a grace period. */
    public void put(MmuNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        Subscription s;
        synchronized (lock) {
            s = byNotifier.get(notifier);
            if (s == null || s.ops == null) {
                throw new NotRegisteredException(Identity.nameOf(notifier) + " was not obtained from get() on mm "
                        + mm.id());
            }
            if (--s.users > 0) {
                return;
            }
            byNotifier.remove(notifier, s);
            byOps.remove(s.ops, s);
            unlink(s);
        }
        s.owner.disown(s);
        // If exit is releasing it right now, exit marks it dead; the grace period below also
        // waits for that release, which runs in a read-side section.
        s.tryKill();
        freeAfterGracePeriod(s);
    }

    @SuppressWarnings("unchecked")
    private void freeAfterGracePeriod(Subscription s) {
        long id = s.identity.id;
        srcu.callSrcu(x -> x == id, () -> "put of " + s.describe(), () -> {
            if (s.owner.admits()) {
                freeNotifier((MmuNotifierOps<MmuNotifier>) s.ops, s.notifier, s.identity);
            }
            core.removed(s);
            lifetime.mmdrop();
        });
    }

    /**
     * {@code free_notifier}, in a read-side section of its own so the watchdog sees it (a driver's
     * free that blocks holds up {@code MmuNotifiers.synchronize()}).
     */
    private void freeNotifier(MmuNotifierOps<MmuNotifier> ops, MmuNotifier notifier, Identity who) {
        ReaderSlot r = srcu.enter();
        long outer = r.beginDispatch(CallKind.FREE_NOTIFIER.pack(null), 0, 0);
        try {
            r.calling(who.id, outer);
            ops.freeNotifier(notifier);
        } catch (Throwable t) {
            faults.threw(who, CallKind.FREE_NOTIFIER, mm.id(), t);
        } finally {
            r.endDispatch(outer);
            srcu.exit(r);
        }
    }

    public MmuIntervalSubscription insertInterval(long start, long end, MmuIntervalNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        checkCompiledIn();
        Addresses.checkRange(start, end);
        Identity who = core.newIdentity(core.openOwnerOf(notifier), notifier);
        return itreeOrCreate().insert(start, end, notifier, who);
    }

    /**
     * The first interval subscription of an mm is a registration like any other
     * ({@code __mmu_notifier_register(NULL, mm)}): it takes {@code mmap_lock} for write so that no
     * invalidation is in flight that the interval tree did not count. Later ones use the sequence.
     */
    private IntervalNotifiers itreeOrCreate() {
        synchronized (lock) {
            if (itree != null) {
                return itree;
            }
        }
        lockMmapForWrite("the first interval subscription");
        try {
            synchronized (lock) {
                checkAlive("insert an interval subscription");
                if (itree == null) {
                    itree = new IntervalNotifiers(mm, lifetime, core);
                    publish();
                }
                return itree;
            }
        } finally {
            mmapLock.writeLock().unlock();
        }
    }

    // ------------------------------------------------------------------ exit

    /**
     * {@code __mmu_notifier_release}, called by {@code exit_mmap} before it unmaps anything.
     * Refuses registrations from now on, tells the interval notifiers that everything goes, calls
     * {@code release} on every notifier while all are still linked, unlinks them, and waits
     * until every release (including ones unregister is running) has returned. Only then may the
     * caller free pages.
     */
    public void release() {
        Hooks h;
        IntervalNotifiers t;
        boolean hadNotifiers;
        synchronized (lock) {
            dead = true;
            h = hooks;
            t = itree;
            hadNotifiers = everLinked;
        }
        if (t != null) {
            t.release();
        }
        if (h == null || h.list.length == 0) {
            // Nothing left to release, but an unregister may have just unlinked the last notifier
            // while a dispatch that read the list before is still calling it: exit must not return
            // (and free the pages) under that call.
            if (hadNotifiers) {
                srcu.synchronize(this::isOurs, () -> "exit of mm " + mm.id());
            }
            return;
        }
        Subscription[] subs = h.list;
        boolean[] mine = new boolean[subs.length];
        ReaderSlot r = srcu.enter();
        try {
            for (int i = 0; i < subs.length; i++) {
                // Claimed inside our section, like unregister's claim inside its own.
                if (subs[i].tryBeginRelease()) {
                    mine[i] = true;
                    callRelease(subs[i], r);
                }
            }
        } finally {
            srcu.exit(r);
        }
        // Unlink only what we released: one that unregister is releasing stays linked until its
        // release returns, for the same reason we released before unlinking.
        synchronized (lock) {
            for (int i = 0; i < subs.length; i++) {
                if (mine[i]) {
                    unlink(subs[i]);
                }
            }
        }
        for (int i = 0; i < subs.length; i++) {
            if (mine[i]) {
                subs[i].markDead();
            } else if (!subs[i].isDead()) {
                // An unregister claimed it: exit returns only once that release has returned and
                // the registration is unlinked, so no dispatch on this mm reaches it afterwards.
                awaitRelease(subs[i]);
            }
        }
        // Waits for releases unregister won (each was claimed inside a section, so it is seen
        // here), and for any other callback of this mm's registrations still running.
        srcu.synchronize(this::isOurs, () -> "exit of mm " + mm.id());
    }

    /**
     * Whether registration {@code id} is one of this mm's, or one already gone (taken conservatively:
     * a registration leaves the core's table only after its own grace period).
     */
    private boolean isOurs(long id) {
        Lease l = core.lease(id);
        return l == null || l.mmId() == mm.id();
    }

    /** Claims and calls {@code release} inside one read-side section; false if exit claimed it first. */
    private boolean releaseIfFirst(Subscription s) {
        ReaderSlot r = srcu.enter();
        try {
            if (!s.tryBeginRelease()) {
                return false;
            }
            callRelease(s, r);
            return true;
        } finally {
            srcu.exit(r);
        }
    }

    /** {@code ->release} on {@code r}'s thread, inside its section. */
    private void callRelease(Subscription s, ReaderSlot r) {
        if (!s.owner.admits()) {
            return;
        }
        long outer = r.beginDispatch(CallKind.RELEASE.pack(null), 0, 0);
        Object event = Trace.beginRelease();
        Throwable threw = null;
        try {
            r.calling(s.id, outer);
            s.notifier.release(mm);
        } catch (Throwable t) {
            threw = t;
            faults.threw(s.identity, CallKind.RELEASE, mm.id(), t);
        } finally {
            Trace.released(event, s.identity, mm.id(), threw);
            r.endDispatch(outer);
            s.identity.retire(); // released: its device must not touch the mm any more
        }
    }

    // ------------------------------------------------------------------ hooks
    //
    // A primary operation that takes mappings away tells the notifiers in four steps, each
    // contract taking the calls its kernel made (MmuNotifierContract):
    //   invalidateRangeStart   before the ptes change            6.x; 2.6.27 for range operations
    //   flushSecondaryTlbs     after they changed, ptl held       6.x (arch_invalidate_secondary_tlbs)
    //   ptesChanged            after, ptl dropped, pages not freed  seed (invalidate_range, or
    //                          invalidate_page); 2.6.27 for single-page operations (invalidate_page)
    //   invalidateRangeEnd     before the pages are freed         whoever got start
    // Interval subscriptions get their invalidate at start, whatever the operation. One read-side
    // section and one subscriber snapshot serve all four steps; the primary must always call end.

    /**
     * {@code mmu_notifier_invalidate_range_start}. Calls every notifier even after one refused.
     *
     * @return false if a non-blockable range was refused: the notifiers that accepted have already
     *         had their end, and the caller must neither touch the ptes nor call the other steps
     */
    public boolean invalidateRangeStart(InvalidationRange range) {
        if (!NotifierConfig.COMPILED_IN) {
            return true;
        }
        if (hooks == null) {
            return true;
        }
        return startSlow(range);
    }

    /**
     * The read-side section entered here stays open until {@link #invalidateRangeEnd}: one fence per
     * invalidation instead of two, and an unregister on another thread waits for the whole
     * invalidation, end included.
     */
    private boolean startSlow(InvalidationRange range) {
        ReaderSlot r = srcu.enter();
        // Read the subscribers inside the section: read before it, they could be unlinked,
        // waited for (no section seen) and gone before we call them.
        Hooks h = hooks;
        if (h == null) {
            srcu.exit(r);
            return true;
        }
        long outer = r.beginDispatch(CallKind.INVALIDATE_RANGE_START.pack(range.event()), range.start(), range.end());
        boolean open = false; // the section stays open for the other steps
        Told told = range.tell(h.list);
        try {
            if (h.itree != null) {
                if (!h.itree.invalidateStart(range, r, outer)) {
                    return false;
                }
                range.itree = h.itree;
            }
            Subscription[] subs = h.list;
            range.snapshot = subs;
            boolean refused = false;
            boolean traced = Trace.invalidations();
            int op = range.isPageOperation() ? Subscription.PAGE_OPS : Subscription.RANGE_OPS;
            for (int i = 0; i < subs.length; i++) {
                Subscription s = subs[i];
                if ((s.brackets & op) == 0 || !s.callable()) {
                    range.markFailed(i); // not called, so no end either
                    continue;
                }
                r.calling(s.id, outer);
                refused |= !callStart(s, i, range, told, traced);
            }
            if (refused) {
                // Those that accepted expect their end (Linux c2655835fd8c); give it now.
                callEnds(subs, range, r, outer);
                return false;
            }
            range.section = r;
            open = true;
            return true;
        } finally {
            r.endDispatch(outer);
            if (!open) {
                closeWindows(range); // a refusal, or a bug of ours: windows and the interval tree close
                range.snapshot = null;
                endItree(range);
                srcu.exit(r);
            }
        }
    }

    /**
     * Calls the start of {@code s}, which the caller found callable and named on its slot.
     *
     * @return false only for a legitimate refusal of a non-blockable range
     */
    private boolean callStart(Subscription s, int index, InvalidationRange range, Told told, boolean traced) {
        boolean ok = true;
        try {
            ok = traced ? Trace.invalidate(s.identity, CallKind.INVALIDATE_RANGE_START.opName, range, mm.id(),
                    () -> s.notifier.invalidateRangeStart(range)) : s.notifier.invalidateRangeStart(range);
        } catch (Throwable t) {
            faults.threw(s.identity, CallKind.INVALIDATE_RANGE_START, mm.id(), t);
            range.markFailed(index); // it may have done half its work; an end would unbalance it
            return true;
        } finally {
            if (told != null && (ok || range.isBlockable()) && s.implemented.start()) {
                told.heard(index, CallKind.INVALIDATE_RANGE_START);
            }
        }
        if (ok) {
            return true;
        }
        range.markFailed(index);
        if (range.isBlockable()) {
            faults.violated(s.identity, CallKind.INVALIDATE_RANGE_START, mm.id(),
                    "refused a blockable invalidation of " + range + "; it gets no end and the invalidation proceeds");
            return true;
        }
        return false;
    }

    /**
     * The architecture's TLB flush after the ptes of {@code range} changed, page-table lock held:
     * {@code arch_invalidate_secondary_tlbs} to the 6.x notifiers, whatever their start did.
     */
    public void flushSecondaryTlbs(InvalidationRange range) {
        if (!NotifierConfig.COMPILED_IN || range.snapshot == null) {
            return;
        }
        ReaderSlot r = range.section;
        long outer = r.beginDispatch(CallKind.ARCH_INVALIDATE_SECONDARY_TLBS.pack(range.event()), range.start(),
                range.end());
        Subscription[] subs = range.snapshot;
        Told told = range.told();
        try {
            for (int i = 0; i < subs.length; i++) {
                Subscription s = subs[i];
                if (s.identity.contract != MmuNotifierContract.V6 || !s.callable()) {
                    continue;
                }
                r.calling(s.id, outer);
                try {
                    s.notifier.archInvalidateSecondaryTlbs(mm, range.start(), range.end());
                } catch (Throwable t) {
                    faults.threw(s.identity, CallKind.ARCH_INVALIDATE_SECONDARY_TLBS, mm.id(), t);
                } finally {
                    if (told != null && s.implemented.tlb()) {
                        told.heard(i, CallKind.ARCH_INVALIDATE_SECONDARY_TLBS);
                    }
                }
            }
        } finally {
            r.endDispatch(outer);
        }
    }

    /**
     * The older contracts' single calls, after the ptes of {@code range} changed and the
     * page-table lock was dropped, before the pages are freed: the seed's {@code invalidate_range}
     * (or {@code invalidate_page} for a single-page operation of the reverse map), and 2.6.27's
     * {@code invalidate_page} for a single-page operation ({@code ptep_clear_flush_notify}). The
     * copy-on-write break is a page operation for 2.6.27 but a range of one page for the seed,
     * whose {@code do_wp_page} called {@code invalidate_range}.
     */
    public void ptesChanged(InvalidationRange range) {
        if (!NotifierConfig.COMPILED_IN || range.snapshot == null) {
            return;
        }
        ReaderSlot r = range.section;
        boolean page = range.isPageOperation();
        CallKind kind = page ? CallKind.INVALIDATE_PAGE : CallKind.INVALIDATE_RANGE;
        long outer = r.beginDispatch(kind.pack(range.event()), range.start(), range.end());
        Subscription[] subs = range.snapshot;
        Told told = range.told();
        try {
            for (int i = 0; i < subs.length; i++) {
                Subscription s = subs[i];
                MmuNotifierContract c = s.identity.contract;
                if (c == MmuNotifierContract.V6 || (c == MmuNotifierContract.V2_6_27 && !page) || !s.callable()) {
                    continue;
                }
                boolean asPage = page && !(c == MmuNotifierContract.SEED && range.isCopyOnWrite());
                kind = asPage ? CallKind.INVALIDATE_PAGE : CallKind.INVALIDATE_RANGE;
                r.kind = kind.pack(range.event()); // what a stall report says this call is
                r.calling(s.id, outer);
                try {
                    if (asPage) {
                        s.notifier.invalidatePage(mm, range.start());
                    } else {
                        s.notifier.invalidateRange(mm, range.start(), range.end(), !range.isBlockable());
                    }
                } catch (Throwable t) {
                    faults.threw(s.identity, kind, mm.id(), t);
                } finally {
                    if (told != null && (page ? s.implemented.page() : s.implemented.range())) {
                        told.heard(i, kind);
                    }
                }
            }
        } finally {
            r.endDispatch(outer);
        }
    }

    /** {@code mmu_notifier_invalidate_range_end}: to the notifiers start reached and did not fail. */
    public void invalidateRangeEnd(InvalidationRange range) {
        if (!NotifierConfig.COMPILED_IN) {
            return;
        }
        Subscription[] subs = range.snapshot;
        if (subs == null) {
            return;
        }
        ReaderSlot r = range.section;
        range.section = null;
        long outer = r.beginDispatch(CallKind.INVALIDATE_RANGE_END.pack(range.event()), range.start(), range.end());
        try {
            closeWindows(range); // from end on, the devices may map again
            callEnds(subs, range, r, outer);
        } finally {
            range.snapshot = null;
            r.endDispatch(outer);
            endItree(range);
            srcu.exit(r); // the section start entered
        }
    }

    private void callEnds(Subscription[] subs, InvalidationRange range, ReaderSlot r, long outer) {
        boolean traced = Trace.invalidations();
        BitSet failed = range.failed(); // complete: only start marks it
        for (int i = 0; i < subs.length; i++) {
            Subscription s = subs[i];
            // A notifier unregistered since start is dead: its unregister has returned (or is in
            // its grace period, waiting for us), so it must not be called any more.
            if ((failed != null && failed.get(i)) || !s.callable()) {
                continue;
            }
            r.calling(s.id, outer);
            try {
                if (traced) {
                    Trace.invalidate(s.identity, CallKind.INVALIDATE_RANGE_END.opName, range, mm.id(), () -> {
                        s.notifier.invalidateRangeEnd(range);
                        return true;
                    });
                } else {
                    s.notifier.invalidateRangeEnd(range);
                }
            } catch (Throwable t) {
                faults.threw(s.identity, CallKind.INVALIDATE_RANGE_END, mm.id(), t);
            }
        }
    }

    /** The invalidation is over for every registration it told: their windows close. */
    private static void closeWindows(InvalidationRange range) {
        Told told = range.told();
        if (told != null) {
            told.over();
        }
    }

    private static void endItree(InvalidationRange range) {
        if (range.itree != null) {
            range.itree.invalidateEnd();
            range.itree = null;
        }
    }

    /** The seed's {@code age_page} ({@code clear_flush_young}): young if any secondary MMU says so. */
    public boolean agePage(long address) {
        return call(Callback.AGE_PAGE, address, 0, false);
    }

    /**
     * The young check {@code try_to_unmap_one} made before clearing a pte for reclaim: the seed's
     * {@code age_page} and 2.6.27's {@code clear_flush_young} ({@code ptep_clear_flush_young_notify}),
     * young if any of them says so. Not 6.x, whose reclaim ages only in {@code folio_referenced}.
     */
    public boolean agePageBeforeUnmap(long address) {
        return call(Callback.UNMAP_AGE_PAGE, address, 0, false);
    }

    /** {@code mmu_notifier_clear_young}, to the 6.x notifiers. */
    public boolean clearYoung(long start, long end) {
        return call(Callback.CLEAR_YOUNG, start, end, false);
    }

    /** {@code mmu_notifier_test_young}, to the 6.x notifiers; stops at the first that says young. */
    public boolean testYoung(long address) {
        return call(Callback.TEST_YOUNG, address, 0, false);
    }

    private boolean call(Callback c, long a, long b, boolean flag) {
        if (!NotifierConfig.COMPILED_IN) {
            return false;
        }
        if (hooks == null) {
            return false;
        }
        return each(c, a, b, flag);
    }

    private boolean each(Callback c, long a, long b, boolean flag) {
        boolean any = false;
        ReaderSlot r = srcu.enter();
        long outer = r.beginDispatch(c.kind.pack(null), a, b);
        try {
            Hooks h = hooks; // inside the section, see startSlow
            if (h == null) {
                return false;
            }
            for (Subscription s : h.list) {
                if (!c.reaches(s.identity.contract) || !s.callable()) {
                    continue;
                }
                r.calling(s.id, outer);
                try {
                    if (c.call(s.notifier, mm, a, b, flag)) {
                        any = true;
                        if (c.stopAtFirstTrue) {
                            break;
                        }
                    }
                } catch (Throwable t) {
                    faults.threw(s.identity, c.kind, mm.id(), t);
                }
            }
        } finally {
            r.endDispatch(outer);
            srcu.exit(r);
        }
        return any;
    }

    // ------------------------------------------------------------------ introspection

    /**
     * Who the registration of {@code notifier} on this mm is (by register or get), for the oracle.
     *
     * @throws NotRegisteredException if there is none
     */
    public Identity identityOf(MmuNotifier notifier) {
        synchronized (lock) {
            Subscription s = byNotifier.get(notifier);
            if (s == null) {
                int i = indexOf(list, notifier);
                if (i < 0) {
                    throw new NotRegisteredException(Identity.nameOf(notifier) + " is not registered on mm " + mm.id());
                }
                s = list[i];
            }
            return s.identity;
        }
    }

    /** Whether the calling thread is inside a notifier callback, where exit must not run (it waits for it). */
    public boolean mustNotExitHere() {
        return srcu.inReadSection();
    }

    /** {@code mm_has_notifiers}: whether a hook has anything to call. */
    public boolean hasHooks() {
        return hooks != null;
    }

    /** Notifiers linked now. */
    public int notifierCount() {
        synchronized (lock) {
            return list.length;
        }
    }

    public int intervalCount() {
        synchronized (lock) {
            return itree == null ? 0 : itree.size();
        }
    }

    public boolean isDead() {
        synchronized (lock) {
            return dead;
        }
    }

    // ------------------------------------------------------------------ helpers

    private void unlink(Subscription s) {
        Subscription[] next = CopyOnWrite.without(list, s);
        if (next == null) {
            return;
        }
        list = next.length == 0 ? NONE : next;
        publish();
    }

    private void publish() {
        hooks = list.length == 0 && itree == null ? null : new Hooks(list, itree);
    }

    private static int indexOf(Subscription[] subs, MmuNotifier notifier) {
        for (int i = 0; i < subs.length; i++) {
            if (subs[i].notifier == notifier) {
                return i;
            }
        }
        return -1;
    }

    private void checkRegistrable(MmuNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        checkCompiledIn();
    }

    private static void checkCompiledIn() {
        if (!NotifierConfig.COMPILED_IN) {
            throw new NotifiersDisabledException("MMU notifiers are compiled out (" + NotifierConfig.PROPERTY
                    + "=off): nothing can be registered");
        }
    }

    private void checkAlive(String what) {
        if (dead) {
            throw new MmDeadException("mm " + mm.id() + " has begun to exit: cannot " + what);
        }
    }

    private void requireMmapWriteLocked(String op) {
        if (!mmapLock.isWriteLockedByCurrentThread()) {
            throw new IllegalMonitorStateException(op + " requires the caller to hold mmap_lock of mm " + mm.id()
                    + " for write");
        }
    }

    /**
     * Takes {@code mmap_lock} for write for a registration. Fails fast where it would hang for
     * ever: the caller holds it for read (a read lock cannot be upgraded), or its holder has been
     * stuck for the give-up time (a stalled callback, reported by the watchdog).
     */
    private void lockMmapForWrite(String what) {
        if (!mmapLock.isWriteLockedByCurrentThread() && mmapLock.getReadHoldCount() > 0) {
            throw new IllegalMonitorStateException(what + " takes mmap_lock of mm " + mm.id()
                    + " for write, but the caller holds it for read: a read lock cannot be upgraded");
        }
        if (!core.lockBounded(mmapLock.writeLock(), what + " waits for mmap_lock of mm " + mm.id(), mm.id())) {
            throw new IllegalStateException(what + ": mmap_lock of mm " + mm.id() + " has been held for more than "
                    + core.stallPolicy().giveUpMillis() + " ms (see mmu:stalls); giving up");
        }
    }
}
