package org.mmunotifier.core.internal.notifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * A sleepable-RCU domain: read-side sections that may block, and grace periods that wait for every
 * section that had begun when they started.
 *
 * <p>Each thread has a {@link ReaderSlot} of its own, so {@link #enter()}/{@link #exit} write only
 * the caller's cache line: one volatile store on the outermost enter, one release store on exit,
 * no shared counter. {@link #synchronize} scans the slots and waits for each section it saw
 * active to end (its nesting drops to zero or its generation moves on). There is no epoch to
 * flip: a section that begins after the scan read its slot began after the writer's unlink, so it
 * cannot see what was unlinked.
 *
 * <p>A grace period is for some registrations (the ones just unlinked): callers pass which, by
 * id. It never waits on itself or on a cycle:
 * <ul>
 * <li>The caller's own slot is skipped: {@code unregister} from inside a callback does not wait
 * for the callback it is running in.
 * <li>A section whose thread is blocked inside the core ({@link ReaderSlot#waitingInCore}: in a
 * grace period of its own, or waiting for a release) is running no callback until it returns, and
 * every dispatch checks a registration's state before calling it. Such a section is waited for
 * only if the thread is inside a callback of a registration this grace period is for. Without
 * this, two threads that each unregister from a callback would wait for each other for ever
 * (in Linux, {@code synchronize_srcu} inside an SRCU read-side section deadlocks).
 * <li>A section stuck for a {@linkplain StallPolicy#stallNanos() stall's length} inside a
 * callback of another registration is not waited for any longer: it cannot be about to call ours,
 * and it is reported by the {@link StallWatchdog}. One stuck inside a callback this grace period
 * is for is waited for until {@link StallPolicy#giveUpNanos()}, then abandoned, loudly.
 * </ul>
 */
public final class Srcu implements AutoCloseable {
    /** A grace period for every registration: waits for every section (within the give-up bound). */
    static final LongPredicate EVERYTHING = id -> true;

    private static final ReaderSlot[] NO_SLOTS = {};
    private static final int SPINS = 200;
    private static final int YIELDS = 50;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Told when a wait gives up on a stuck section. */
    interface Abandonment {
        Abandonment NONE = (gp, slot, calling, nanos) -> { };

        void gaveUp(GracePeriod gp, ReaderSlot slot, long calling, long waitedNanos);
    }

    private final ThreadLocal<ReaderSlot> slot = new ThreadLocal<>();
    private volatile ReaderSlot[] slots = NO_SLOTS;
    private final Object slotsLock = new Object();
    private ExecutorService reclaimer; // guarded by slotsLock; created on first callSrcu
    private final StallPolicy policy;
    private final Set<GracePeriod> waits = ConcurrentHashMap.newKeySet();
    private volatile Abandonment abandonment = Abandonment.NONE;

    public Srcu() {
        this(new StallPolicy());
    }

    public Srcu(StallPolicy policy) {
        this.policy = policy;
    }

    /**
     * {@code srcu_read_lock}. The outermost enter is a volatile store: it must be visible before
     * the caller reads the subscriber list, or a writer could unlink, scan, see this slot idle and
     * free what the caller is about to call.
     */
    public ReaderSlot enter() {
        ReaderSlot s = slot.get();
        if (s == null) {
            s = newSlot();
        }
        long v = s.state;
        if (ReaderSlot.nesting(v) == 0) {
            s.state = ((ReaderSlot.generation(v) + 1) << 32) | 1;
        } else {
            ReaderSlot.STATE.setOpaque(s, v + 1);
        }
        return s;
    }

    /** {@code srcu_read_unlock}: release store, so everything the section read happens before it. */
    public void exit(ReaderSlot s) {
        ReaderSlot.STATE.setRelease(s, s.state - 1);
    }

    /** Whether the calling thread is inside a read-side section of this domain. */
    public boolean inReadSection() {
        ReaderSlot s = slot.get();
        return s != null && ReaderSlot.nesting(s.state) != 0;
    }

    /**
     * {@code synchronize_srcu}, for everything: returns once every read-side section that was
     * active on another thread when it was called has ended (or was given up on, see the class
     * comment).
     */
    public void synchronize() {
        synchronize(EVERYTHING, () -> "every callback in flight");
    }

    /**
     * {@code synchronize_srcu} after unlinking the registrations {@code protects} accepts (by
     * id): returns once no other thread can be running, or be about to run, a callback of them.
     *
     * @param what what the grace period is for, for stall reports (called only for a report)
     */
    public void synchronize(LongPredicate protects, Supplier<String> what) {
        ReaderSlot me = slot.get();
        boolean inSection = me != null && ReaderSlot.nesting(me.state) != 0;
        GracePeriod gp = null;
        try {
            for (ReaderSlot s : slots) {
                if (s == me) {
                    continue;
                }
                long seen = s.state;
                if (ReaderSlot.nesting(seen) == 0) {
                    continue;
                }
                if (gp == null) {
                    gp = new GracePeriod(Thread.currentThread(), what);
                    waits.add(gp);
                    if (inSection) {
                        me.waitingInCore = true;
                    }
                }
                awaitSectionEnd(s, seen, protects, gp);
            }
        } finally {
            if (gp != null) {
                gp.waitingOn = null;
                waits.remove(gp);
                if (inSection) {
                    me.waitingInCore = false;
                }
            }
        }
    }

    private void awaitSectionEnd(ReaderSlot s, long seen, LongPredicate protects, GracePeriod gp) {
        long gen = ReaderSlot.generation(seen);
        gp.waitingOn = s;
        long park = 1_000;
        long lastCalling = Long.MIN_VALUE;
        long stableSince = 0;
        for (int i = 0;; i++) {
            long now = s.state;
            if (ReaderSlot.nesting(now) == 0 || ReaderSlot.generation(now) != gen) {
                return;
            }
            if (s.waitingInCore) { // a volatile read: publishes s.calling
                long c = s.calling;
                if (c == 0 || (!ReaderSlot.isNested(c) && !protects.test(ReaderSlot.registration(c)))) {
                    return; // blocked in the core, and not inside a callback we wait for
                }
            }
            if (i >= SPINS) {
                // Slow path: is the section stuck in one callback?
                long c = s.calling;
                long t = System.nanoTime();
                if (c != lastCalling) {
                    lastCalling = c;
                    stableSince = t;
                }
                long stuck = t - StallWatchdog.stuckSince(s, gen, c, stableSince);
                if (stuck >= policy.stallNanos() && c != 0 && !ReaderSlot.isNested(c)
                        && !protects.test(ReaderSlot.registration(c))) {
                    return; // stuck in another registration's callback: cannot be about to call ours
                }
                if (stuck >= policy.giveUpNanos()) {
                    abandonment.gaveUp(gp, s, c, stuck);
                    return;
                }
            }
            if (i < SPINS) {
                Thread.onSpinWait();
            } else if (i < SPINS + YIELDS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(park);
                park = Math.min(park * 2, MAX_PARK_NANOS);
            }
        }
    }

    /**
     * Marks the calling thread, if inside a section, as blocked in the core for the duration of
     * {@code wait}: grace periods on other threads then need not wait for it (see the class
     * comment). For core waits other than grace periods (waiting for another thread's release).
     */
    void blockedInCore(Runnable wait) {
        ReaderSlot me = slot.get();
        boolean inSection = me != null && ReaderSlot.nesting(me.state) != 0;
        if (inSection) {
            me.waitingInCore = true;
        }
        try {
            wait.run();
        } finally {
            if (inSection) {
                me.waitingInCore = false;
            }
        }
    }

    /**
     * {@code call_srcu}: runs {@code callback} on the domain's reclaim thread after a grace period
     * for the registrations {@code protects} accepts. Callbacks run in the order they were queued.
     */
    public void callSrcu(LongPredicate protects, Supplier<String> what, Runnable callback) {
        synchronized (slotsLock) {
            if (reclaimer == null) {
                reclaimer = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "srcu-reclaim");
                    t.setDaemon(true);
                    return t;
                });
            }
            reclaimer.execute(() -> {
                synchronize(protects, what);
                callback.run();
            });
        }
    }

    /** {@code call_srcu} after a grace period for everything. */
    public void callSrcu(Runnable callback) {
        callSrcu(EVERYTHING, () -> "a queued call_srcu callback", callback);
    }

    /**
     * {@code srcu_barrier}: waits for every callback queued before the call (each runs after a grace
     * period of its own), at most the give-up time (a driver's {@code free_notifier} that blocks is
     * reported by the watchdog; the barrier then returns rather than hang its caller).
     *
     * @throws IllegalStateException from inside a read-side section: the queued callbacks each wait
     *         for a grace period, which would wait for the caller's own section
     */
    public void barrier() {
        if (inReadSection()) {
            throw new IllegalStateException("a barrier cannot wait from inside a notifier callback: the frees it waits"
                    + " for each wait for a grace period, which waits for this callback to return");
        }
        Future<?> done;
        synchronized (slotsLock) {
            if (reclaimer == null) {
                return;
            }
            done = reclaimer.submit(() -> { });
        }
        boolean interrupted = false;
        long deadline = System.nanoTime() + policy.giveUpNanos();
        while (true) {
            try {
                done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                System.getLogger(Srcu.class.getName()).log(System.Logger.Level.ERROR, "srcu barrier gave up after "
                        + TimeUnit.NANOSECONDS.toMillis(policy.giveUpNanos()) + " ms: a queued callback is stuck"
                        + " (see the stall report of the srcu-reclaim thread)");
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Number of threads that hold a slot in this domain (entered a section at least once and live). */
    public int slotCount() {
        return slots.length;
    }

    /** The slots now, for the watchdog. */
    ReaderSlot[] slots() {
        return slots;
    }

    /** Grace periods in progress, for the watchdog. */
    List<GracePeriod> gracePeriods() {
        return List.copyOf(waits);
    }

    StallPolicy policy() {
        return policy;
    }

    void onAbandon(Abandonment a) {
        abandonment = a;
    }

    @Override
    public void close() {
        synchronized (slotsLock) {
            if (reclaimer != null) {
                reclaimer.shutdown();
            }
        }
    }

    private ReaderSlot newSlot() {
        ReaderSlot s = new ReaderSlot(Thread.currentThread());
        synchronized (slotsLock) {
            // Drop the slots of threads that died outside a section: a dead thread cannot hold
            // one open, and keeping them would make every grace period scan thread churn.
            List<ReaderSlot> live = new ArrayList<>(slots.length + 1);
            for (ReaderSlot old : slots) {
                if (old.owner.isAlive() || ReaderSlot.nesting(old.state) != 0) {
                    live.add(old);
                }
            }
            live.add(s);
            slots = live.toArray(NO_SLOTS);
        }
        slot.set(s);
        return s;
    }
}
