package org.mmunotifier.drivers.gru.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.MmBusyException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;

/**
 * {@code struct gru_mm_struct}: the one notifier all GRU contexts of an mm share (through
 * {@code mmu_notifier_get}), with the mm's ASID. {@code rangeActive} counts range invalidations in
 * flight, and a dropin waits until it is zero. The sequence closes the window the kernel's GRU
 * leaves open: a dropin that read a pte before a whole start/end pair ran must not install it.
 */
final class GruMmState implements MmuNotifier {
    final int asid;
    final MmStruct mm;
    private final GruTlb tlb;
    private final int flushThreshold;
    private final DeviceCounters counters;
    private final AtomicLong callbacks = new AtomicLong();
    private int rangeActive; // guarded by this: ms_range_active
    private long seq; // guarded by this
    private boolean released; // guarded by this
    int contexts; // guarded by the driver

    /** Fault injection: the broken variant whose start forgets to flush the TLB. */
    volatile boolean skipFlush;
    /** A planted bug (the mutants catalogue); {@link GruBug#NONE} in every real run. */
    final GruBug bug;

    GruMmState(int asid, MmStruct mm, GruTlb tlb, int flushThreshold, DeviceCounters counters, GruBug bug) {
        this.asid = asid;
        this.mm = mm;
        this.tlb = tlb;
        this.flushThreshold = flushThreshold;
        this.counters = counters;
        this.bug = bug;
    }

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        callbacks.incrementAndGet();
        synchronized (this) {
            rangeActive++;
        }
        counters.invalidated();
        if (!skipFlush && bug != GruBug.FLUSH_IN_END) {
            flush(range);
        }
        return true;
    }

    /** {@code gru_flush_tlb_range}: past a threshold, one flush of the whole ASID is cheaper. */
    private void flush(MmuNotifierRange range) {
        long pages = (range.end() - range.start()) / Addresses.PAGE_SIZE;
        counters.zapped(pages > flushThreshold ? tlb.flushAsid(asid) : tlb.flushRange(asid, range.start(), range.end()));
    }

    @Override
    public void invalidateRangeEnd(MmuNotifierRange range) {
        callbacks.incrementAndGet();
        if (bug == GruBug.FLUSH_IN_END) {
            flush(range);
        }
        synchronized (this) {
            seq++;
            if (--rangeActive == 0) {
                notifyAll(); // wake_up_all(ms_wait_queue)
            }
        }
    }

    @Override
    public void invalidatePage(MmStruct m, long address) {
        callbacks.incrementAndGet();
        synchronized (this) {
            seq++;
        }
        counters.invalidated();
        if (bug != GruBug.IGNORE_INVALIDATE_PAGE) {
            counters.zapped(tlb.flushRange(asid, address, address + Addresses.PAGE_SIZE));
        }
    }

    @Override
    public void release(MmStruct m) {
        callbacks.incrementAndGet();
        synchronized (this) {
            released = true;
            notifyAll();
        }
        counters.zapped(tlb.flushAsid(asid));
    }

    /**
     * {@code gru_user_dropin}'s wait: while a range invalidation is active, at most
     * {@code timeoutMillis}, then returns the sequence a dropin must still see when it installs.
     * Bounded, and ended by an interrupt (the instruction threads are being stopped): an
     * invalidation that never ends (another driver's callback stuck in it) must not keep this
     * driver from serving other contexts, or from stopping.
     *
     * @throws ContextGoneException if the mm was released
     * @throws MmBusyException if the invalidation is still active after the timeout, or the wait
     *         was interrupted (the interrupt status is kept)
     */
    synchronized long awaitIdle(long timeoutMillis) {
        if (bug == GruBug.SKIP_RETRY && !released) {
            return seq;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (rangeActive > 0 && !released) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new MmBusyException("mm " + mm.id() + ": a range invalidation is still active after "
                        + timeoutMillis + " ms");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MmBusyException("interrupted while waiting for an invalidation of mm " + mm.id() + " to end");
            }
        }
        if (released) {
            throw new ContextGoneException("mm " + mm.id() + " was released");
        }
        return seq;
    }

    /** Whether a dropin that sampled {@code sampled} may install now (TLB lock held by the caller). */
    synchronized boolean mayInstall(long sampled) {
        return switch (bug) {
            case SKIP_RETRY -> !released;
            case RETRY_WITHOUT_SEQ -> !released && rangeActive == 0;
            default -> !released && rangeActive == 0 && seq == sampled;
        };
    }

    long callbacks() {
        return callbacks.get();
    }
}
