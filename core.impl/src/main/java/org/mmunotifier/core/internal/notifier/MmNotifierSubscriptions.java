package org.mmunotifier.core.internal.notifier;

import java.util.Arrays;
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
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.NotifiersDisabledException;

/**
 * The notifier subscriptions of one mm ({@code struct mmu_notifier_subscriptions}) and the hooks
 * the primary MMU calls on it.
 *
 * <p>Read side: {@link #hooks} is one volatile field holding an immutable subscriber array (and the
 * interval notifiers, once any was inserted), or null when there is nothing to call. A hook reads
 * it once and returns on null; otherwise it enters a {@link Srcu} section and walks the array. No
 * lock is shared between readers.
 *
 * <p>Write side: every change copies the array under {@link #lock} and publishes a new
 * {@link Hooks}; unlinking is followed by a grace period before the caller may assume that no
 * callback runs.
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
        Owner owner = openOwnerOf(notifier); // outside mmap_lock: resolving may call into the framework
        mmapLock.writeLock().lock();
        try {
            link(notifier, null, owner);
        } finally {
            mmapLock.writeLock().unlock();
        }
    }

    /** {@code __mmu_notifier_register}: the caller holds {@code mmap_lock} for write. */
    public void registerLocked(MmuNotifier notifier) {
        checkRegistrable(notifier);
        requireMmapWriteLocked("registerLocked");
        link(notifier, null, openOwnerOf(notifier));
    }

    public <N extends MmuNotifier> N get(MmuNotifierOps<N> ops) {
        Objects.requireNonNull(ops, "ops");
        checkCompiledIn();
        mmapLock.writeLock().lock();
        try {
            return getLocked(ops);
        } finally {
            mmapLock.writeLock().unlock();
        }
    }

    /**
     * {@code mmu_notifier_get_locked}. {@code mmap_lock} held for write keeps other gets on this mm
     * out while {@code allocNotifier} runs without our lock.
     */
    @SuppressWarnings("unchecked")
    public <N extends MmuNotifier> N getLocked(MmuNotifierOps<N> ops) {
        Objects.requireNonNull(ops, "ops");
        checkCompiledIn();
        requireMmapWriteLocked("getLocked");
        synchronized (lock) {
            checkAlive("get a notifier of " + NotifierFault.identify(ops));
            Subscription s = byOps.get(ops);
            if (s != null && s.isActive()) {
                s.users++;
                return (N) s.notifier;
            }
        }
        Owner owner = openOwnerOf(ops); // before allocNotifier: refused, it allocates nothing
        N notifier = Objects.requireNonNull(ops.allocNotifier(mm),
                () -> NotifierFault.identify(ops) + ".allocNotifier returned null");
        link(notifier, ops, owner);
        return notifier;
    }

    /** Whose code {@code code} is; refuses an owner that is going away. */
    private Owner openOwnerOf(Object code) {
        Owner owner = core.ownerOf(code);
        owner.checkOpen();
        return owner;
    }

    private void link(MmuNotifier notifier, MmuNotifierOps<?> ops, Owner owner) {
        Subscription s = new Subscription(this, notifier, ops, owner);
        synchronized (lock) {
            checkAlive("register " + NotifierFault.identify(notifier));
            if (byNotifier.containsKey(notifier) || indexOf(list, notifier) >= 0) {
                throw new AlreadyRegisteredException(NotifierFault.identify(notifier) + " is registered on mm "
                        + mm.id() + " already");
            }
            byNotifier.put(notifier, s);
            if (ops != null) {
                byOps.put(ops, s);
            }
            list = Arrays.copyOf(list, list.length + 1);
            list[list.length - 1] = s;
            publish();
            lifetime.mmgrab();
        }
        if (!owner.adopt(s)) {
            forceRemove(s);
            throw owner.stopped();
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
            s.awaitDead(); // exit is calling its release: the owner is still stopping, let it finish
        }
        srcu.synchronize();
        lifetime.mmdrop();
    }

    /**
     * {@code mmu_notifier_unregister}. Exactly one of exit and unregister calls {@code release},
     * and it does so before unlinking: a notifier unlinked first would miss the invalidations of
     * pages reclaimed meanwhile, and those pages could be freed while it still maps them.
     */
    public void unregister(MmuNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        Subscription s;
        synchronized (lock) {
            s = byNotifier.get(notifier);
            if (s == null) {
                throw new NotRegisteredException(NotifierFault.identify(notifier) + " is not registered on mm "
                        + mm.id());
            }
            if (s.ops != null) {
                throw new NotRegisteredException(NotifierFault.identify(notifier) + " was obtained from get() on mm "
                        + mm.id() + ": drop it with put(), not unregister()");
            }
        }
        boolean mine; // false if the core force-removed it meanwhile: it then dropped the mm too
        if (s.tryBeginRelease()) {
            callRelease(s);
            synchronized (lock) {
                unlink(s);
                mine = byNotifier.remove(notifier, s);
            }
            s.markDead();
        } else if (s.isReleasingOnThisThread()) {
            // Called from release on this thread: whoever called release unlinks it when release
            // returns. Waiting for that here would wait for ourselves.
            synchronized (lock) {
                mine = byNotifier.remove(notifier, s);
            }
        } else {
            s.awaitDead();
            synchronized (lock) {
                unlink(s); // a no-op unless exit released it
                mine = byNotifier.remove(notifier, s);
            }
        }
        s.owner.disown(s);
        // Callbacks that read the array before the unlink may still be running on other threads.
        srcu.synchronize();
        if (mine) {
            lifetime.mmdrop();
        }
    }

    /** {@code mmu_notifier_put}: the last reference unlinks without release and frees after a grace period. */
    public void put(MmuNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        Subscription s;
        synchronized (lock) {
            s = byNotifier.get(notifier);
            if (s == null || s.ops == null) {
                throw new NotRegisteredException(NotifierFault.identify(notifier) + " was not obtained from get() on mm "
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

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void freeAfterGracePeriod(Subscription s) {
        MmuNotifierOps ops = s.ops;
        srcu.callSrcu(() -> {
            try {
                if (s.owner.admits()) {
                    ops.freeNotifier(s.notifier);
                }
            } catch (Throwable t) {
                faults.threw(s.notifier, "free_notifier", mm.id(), t);
            }
            lifetime.mmdrop();
        });
    }

    public MmuIntervalSubscription insertInterval(long start, long end, MmuIntervalNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        checkCompiledIn();
        Addresses.checkRange(start, end);
        Owner owner = openOwnerOf(notifier);
        IntervalNotifiers t = itreeOrCreate();
        synchronized (lock) {
            checkAlive("insert an interval subscription for " + NotifierFault.identify(notifier));
            lifetime.mmgrab(); // dropped by remove()
        }
        return t.insert(start, end, notifier, owner);
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
        boolean held = mmapLock.isWriteLockedByCurrentThread();
        if (!held && mmapLock.getReadHoldCount() > 0) {
            throw new IllegalMonitorStateException("the first interval subscription of mm " + mm.id()
                    + " takes mmap_lock for write, but the caller holds it for read");
        }
        if (!held) {
            mmapLock.writeLock().lock();
        }
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
            if (!held) {
                mmapLock.writeLock().unlock();
            }
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
        synchronized (lock) {
            dead = true;
            h = hooks;
        }
        if (h == null) {
            return;
        }
        if (h.itree != null) {
            InvalidationRange all = new InvalidationRange(mm, 0, Addresses.TASK_SIZE, MmuNotifierEvent.RELEASE);
            if (h.itree.invalidateStart(all)) {
                h.itree.invalidateEnd();
            }
        }
        Subscription[] subs = h.list;
        boolean[] mine = new boolean[subs.length];
        ReaderSlot r = srcu.enter();
        try {
            for (int i = 0; i < subs.length; i++) {
                if (subs[i].tryBeginRelease()) {
                    mine[i] = true;
                    callRelease(subs[i]);
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
            }
        }
        srcu.synchronize();
    }

    private void callRelease(Subscription s) {
        if (!s.owner.admits()) {
            return;
        }
        ReaderSlot r = srcu.enter();
        try {
            s.notifier.release(mm);
        } catch (Throwable t) {
            faults.threw(s.notifier, "release", mm.id(), t);
        } finally {
            srcu.exit(r);
        }
    }

    // ------------------------------------------------------------------ hooks

    /**
     * {@code mmu_notifier_invalidate_range_start}. Calls every notifier even after one refused.
     *
     * @return false if a non-blockable range was refused: the notifiers that accepted have already
     *         had their end, and the caller must neither touch the ptes nor call end
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
     * invalidation, end included. The primary must therefore always call end (in a finally).
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
        boolean refused = false;
        try {
            if (h.itree != null) {
                if (!h.itree.invalidateStart(range)) {
                    srcu.exit(r);
                    return false;
                }
                range.itree = h.itree;
            }
            Subscription[] subs = h.list;
            for (int i = 0; i < subs.length; i++) {
                refused |= !callStart(subs[i], i, range);
            }
            if (refused) {
                // Those that accepted expect their end (Linux c2655835fd8c); give it now.
                callEnds(subs, range);
                endItree(range);
                srcu.exit(r);
                return false;
            }
            range.snapshot = subs;
            range.section = r;
            return true;
        } catch (RuntimeException | Error e) {
            srcu.exit(r);
            throw e;
        }
    }

    /** @return false only for a legitimate refusal of a non-blockable range */
    private boolean callStart(Subscription s, int index, InvalidationRange range) {
        if (!s.owner.admits()) {
            range.markFailed(index); // not called, so no end either
            return true;
        }
        boolean ok;
        try {
            ok = s.notifier.invalidateRangeStart(range);
        } catch (Throwable t) {
            faults.threw(s.notifier, "invalidate_range_start", mm.id(), t);
            range.markFailed(index); // it may have done half its work; an end would unbalance it
            return true;
        }
        if (ok) {
            return true;
        }
        range.markFailed(index);
        if (range.isBlockable()) {
            faults.violated(s.notifier, "invalidate_range_start", mm.id(),
                    "refused a blockable invalidation of " + range + "; it gets no end and the invalidation proceeds");
            return true;
        }
        return false;
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
        range.snapshot = null;
        ReaderSlot r = range.section;
        range.section = null;
        try {
            callEnds(subs, range);
            endItree(range);
        } finally {
            srcu.exit(r); // the section start entered
        }
    }

    private void callEnds(Subscription[] subs, InvalidationRange range) {
        for (int i = 0; i < subs.length; i++) {
            Subscription s = subs[i];
            // A notifier unregistered since start is dead: its unregister has returned (or is in
            // its grace period, waiting for us), so it must not be called any more.
            if (range.failed(i) || s.isDead() || !s.owner.admits()) {
                continue;
            }
            try {
                s.notifier.invalidateRangeEnd(range);
            } catch (Throwable t) {
                faults.threw(s.notifier, "invalidate_range_end", mm.id(), t);
            }
        }
    }

    private static void endItree(InvalidationRange range) {
        if (range.itree != null) {
            range.itree.invalidateEnd();
            range.itree = null;
        }
    }

    /**
     * The seed's per-page invalidate, after the pte of {@code address} was cleared and before the
     * page is freed. Interval notifiers see it as a one-page {@link MmuNotifierEvent#CLEAR}.
     */
    public void invalidatePage(long address) {
        if (!NotifierConfig.COMPILED_IN) {
            return;
        }
        Hooks h = hooks;
        if (h == null) {
            return;
        }
        if (h.itree != null) { // kept once set, so safe to use from outside a section
            InvalidationRange page = new InvalidationRange(mm, address, address + Addresses.PAGE_SIZE,
                    MmuNotifierEvent.CLEAR);
            if (h.itree.invalidateStart(page)) {
                h.itree.invalidateEnd();
            }
        }
        each(Callback.INVALIDATE_PAGE, address, 0, false);
    }

    /** The seed's {@code invalidate_range}, one call after the ptes of the range were changed. */
    public void invalidateRange(long start, long end, boolean atomic) {
        call(Callback.INVALIDATE_RANGE, start, end, atomic);
    }

    /** The seed's {@code age_page} ({@code clear_flush_young}): young if any secondary MMU says so. */
    public boolean agePage(long address) {
        return call(Callback.AGE_PAGE, address, 0, false);
    }

    public boolean clearYoung(long start, long end) {
        return call(Callback.CLEAR_YOUNG, start, end, false);
    }

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
        try {
            Hooks h = hooks; // inside the section, see startSlow
            if (h == null) {
                return false;
            }
            for (Subscription s : h.list) {
                if (!s.owner.admits()) {
                    continue;
                }
                try {
                    if (c.call(s.notifier, mm, a, b, flag)) {
                        any = true;
                        if (c.stopAtFirstTrue) {
                            break;
                        }
                    }
                } catch (Throwable t) {
                    faults.threw(s.notifier, c.opName, mm.id(), t);
                }
            }
        } finally {
            srcu.exit(r);
        }
        return any;
    }

    // ------------------------------------------------------------------ introspection

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
        int i = indexOf(list, s.notifier);
        if (i < 0 || list[i] != s) {
            return;
        }
        Subscription[] next = new Subscription[list.length - 1];
        System.arraycopy(list, 0, next, 0, i);
        System.arraycopy(list, i + 1, next, i, list.length - i - 1);
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
}
