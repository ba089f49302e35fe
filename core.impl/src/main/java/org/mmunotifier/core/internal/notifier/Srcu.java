package org.mmunotifier.core.internal.notifier;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A sleepable-RCU domain: read-side sections that may block, and grace periods that wait for every
 * section that had begun when they started.
 *
 * <p>Each thread has a {@link ReaderSlot} of its own, so {@link #enter()}/{@link #exit} write only
 * the caller's cache line: one volatile store on the outermost enter, one release store on exit,
 * no shared counter. {@link #synchronize()} scans the slots and waits for each section it saw
 * active to end (its nesting drops to zero or its generation moves on). There is no epoch to
 * flip: a section that begins after the scan read its slot began after the writer's unlink, so it
 * cannot see what was unlinked.
 *
 * <p>The scan skips the caller's own slot: a grace period started inside a callback (unregister
 * from {@code release}) does not wait for the section it is itself running in. Two callbacks on
 * two threads that each wait for a grace period still deadlock, as they do in Linux.
 */
public final class Srcu implements AutoCloseable {
    private static final ReaderSlot[] NO_SLOTS = {};
    private static final int SPINS = 200;
    private static final int YIELDS = 50;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ThreadLocal<ReaderSlot> slot = ThreadLocal.withInitial(this::newSlot);
    private volatile ReaderSlot[] slots = NO_SLOTS;
    private final Object slotsLock = new Object();
    private ExecutorService reclaimer; // guarded by slotsLock; created on first callSrcu

    /**
     * {@code srcu_read_lock}. The outermost enter is a volatile store: it must be visible before
     * the caller reads the subscriber list, or a writer could unlink, scan, see this slot idle and
     * free what the caller is about to call.
     */
    public ReaderSlot enter() {
        ReaderSlot s = slot.get();
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
        return ReaderSlot.nesting(slot.get().state) != 0;
    }

    /**
     * {@code synchronize_srcu}: returns once every read-side section that was active on another
     * thread when it was called has ended.
     */
    public void synchronize() {
        Thread me = Thread.currentThread();
        for (ReaderSlot s : slots) {
            if (s.owner == me) {
                continue;
            }
            long seen = s.state;
            if (ReaderSlot.nesting(seen) != 0) {
                awaitSectionEnd(s, seen);
            }
        }
    }

    private static void awaitSectionEnd(ReaderSlot s, long seen) {
        long gen = ReaderSlot.generation(seen);
        long park = 1_000;
        for (int i = 0;; i++) {
            long now = s.state;
            if (ReaderSlot.nesting(now) == 0 || ReaderSlot.generation(now) != gen) {
                return;
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
     * {@code call_srcu}: runs {@code callback} on the domain's reclaim thread after a grace period.
     * Callbacks run in the order they were queued.
     */
    public void callSrcu(Runnable callback) {
        synchronized (slotsLock) {
            if (reclaimer == null) {
                reclaimer = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "srcu-reclaim");
                    t.setDaemon(true);
                    return t;
                });
            }
            reclaimer.execute(() -> {
                synchronize();
                callback.run();
            });
        }
    }

    /** {@code srcu_barrier}: waits for a grace period and for every callback queued before the call. */
    public void barrier() {
        synchronize();
        Future<?> done;
        synchronized (slotsLock) {
            if (reclaimer == null) {
                return;
            }
            done = reclaimer.submit(() -> { });
        }
        boolean interrupted = false;
        while (true) {
            try {
                done.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
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
        return s;
    }
}
