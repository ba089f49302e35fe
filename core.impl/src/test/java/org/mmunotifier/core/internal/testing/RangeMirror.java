package org.mmunotifier.core.internal.testing;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;

/**
 * A range-only mirror of today's kernel (6.x): {@code invalidate_range_start} and
 * {@code invalidate_range_end} and nothing else, the way RDMA ODP and amdgpu/nouveau's mirrors
 * work. Start zaps the range and waits for the DMA in flight to drain (refusing a non-blockable
 * start while any is), faults retry if an invalidation began or ran meanwhile (KVM's
 * {@code mmu_invalidate_seq}/{@code in_progress}), and the DMA itself runs outside the mirror's
 * lock. Each {@link Bug} is one way real drivers get this wrong.
 */
public final class RangeMirror extends SecondaryMmu {

    /** A driver bug the strict oracle must catch. */
    public enum Bug {
        NONE,
        /** (a) installs a faulted page without the retry check. */
        SKIP_RETRY,
        /** (b) zaps its mapping in {@code invalidate_range_end} instead of start. */
        ZAP_IN_END,
        /** (c) returns from start without waiting for the DMA in flight. */
        NO_DMA_DRAIN,
        /** (d) keeps its writable mappings of a range the primary is write-protecting. */
        KEEP_WRITABLE
    }

    /** How long a transfer takes between its issue (mapping looked up) and its access to memory. */
    private static final long TRANSFER_NANOS = 20_000;

    private final Bug bug;
    private final Map<Long, MappedFrame> table = new HashMap<>(); // guarded by this
    private int inProgress; // guarded by this
    private long seq; // guarded by this
    private final Map<Long, Integer> dmaInFlight = new HashMap<>(); // page -> transfers; guarded by this
    private boolean detached; // guarded by this

    /** Creates the mirror and registers it on {@code mm}. */
    public RangeMirror(String name, MmStruct mm, CoherenceOracle oracle, Bug bug) {
        super(name, mm, oracle);
        this.bug = bug;
        register();
    }

    @Override
    public MmuNotifierContract contract() {
        return MmuNotifierContract.V6;
    }

    @Override
    public synchronized boolean invalidateRangeStart(MmuNotifierRange range) {
        // Counted first: the drain below waits with the lock dropped, and a fault finishing then
        // must not install what it read.
        inProgress++;
        if (bug != Bug.ZAP_IN_END && !(bug == Bug.KEEP_WRITABLE && writeProtects(range.event()))) {
            table.keySet().removeIf(range::contains);
        }
        if (bug != Bug.NO_DMA_DRAIN) {
            while (dmaInFlight.keySet().stream().anyMatch(range::contains)) {
                if (!range.isBlockable()) {
                    inProgress--; // -EAGAIN: the OOM reaper leaves this range alone; no end follows
                    return false;
                }
                waitUninterruptibly();
            }
        }
        return true;
    }

    private static boolean writeProtects(MmuNotifierEvent e) {
        return e == MmuNotifierEvent.PROTECTION_VMA || e == MmuNotifierEvent.PROTECTION_PAGE
                || e == MmuNotifierEvent.SOFT_DIRTY;
    }

    @Override
    public synchronized void invalidateRangeEnd(MmuNotifierRange range) {
        if (bug == Bug.ZAP_IN_END) {
            table.keySet().removeIf(range::contains);
        }
        seq++;
        inProgress--;
    }

    @Override
    public boolean access(long address, boolean write, long value) {
        long page = address & Addresses.PAGE_MASK;
        for (int attempt = 0; attempt < 3; attempt++) {
            MappedFrame f;
            long s;
            synchronized (this) {
                if (detached) {
                    return false;
                }
                f = table.get(page);
                s = seq;
                if (f != null && (!write || f.writable())) {
                    dmaInFlight.merge(page, 1, Integer::sum);
                } else {
                    f = null;
                }
            }
            if (f != null) {
                dma(page, f, write, value);
                return true;
            }
            MappedFrame got = fault(page, write);
            if (got == null) {
                return false;
            }
            synchronized (this) {
                if (!detached && (bug == Bug.SKIP_RETRY || (inProgress == 0 && seq == s))) {
                    table.put(page, got);
                }
            }
        }
        return false;
    }

    /** The transfer, outside the mirror's lock: start must wait for it (unless {@link Bug#NO_DMA_DRAIN}). */
    private void dma(long page, MappedFrame f, boolean write, long value) {
        try {
            LockSupport.parkNanos(TRANSFER_NANOS); // the transfer lands a while after it was issued
            transfer(f, write, value);
        } finally {
            synchronized (this) {
                dmaInFlight.computeIfPresent(page, (p, n) -> n == 1 ? null : n - 1);
                notifyAll();
            }
        }
    }

    @Override
    public synchronized int mapped() {
        return table.size();
    }

    /** Stops the device (waiting for its DMA), drops its mappings, unregisters. */
    @Override
    public void detach() {
        synchronized (this) {
            detached = true;
            while (!dmaInFlight.isEmpty()) {
                waitUninterruptibly();
            }
            table.clear();
        }
        unregister();
    }

    private void waitUninterruptibly() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + " interrupted while its DMA drains", e);
        }
    }

    @Override
    public String toString() {
        return name + (bug == Bug.NONE ? "" : " (" + bug + ")");
    }
}
