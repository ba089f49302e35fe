package org.mmunotifier.drivers.rdma.internal;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.DeviceEngines;
import org.mmunotifier.api.DeviceThreads;
import org.mmunotifier.api.FaultRetryException;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.SpinLock;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifierRange;

/**
 * An on-demand-paging memory region ({@code ib_umem_odp}) over {@code [start, end)} of a process:
 * an interval subscription, the device's table of DMA addresses, and the {@code umem_mutex} both
 * the fault path and the invalidate callback take.
 *
 * <p>DMA pins the pages it is transferring; an invalidation removes the mappings and then waits,
 * mutex released, until no DMA to its range is in flight. Only then may the primary free the pages.
 * A non-blockable invalidation is refused when the mutex is busy or DMA is in flight.
 */
public final class MemoryRegion implements MmuIntervalNotifier {
    static final int DMA_READ = 0;
    static final int DMA_WRITE = 1;
    static final int DMA_ATOMIC = 2;
    private static final int MAX_RETRIES = 1_000;

    private final int id;
    private final String name;
    private final MmStruct mm;
    private final long start;
    private final long end;
    private final CoherenceOracle oracle;
    /** DMA through this region, checked against what its subscription was told; set by {@link #subscribe}. */
    private volatile DeviceAccess device;
    private final DeviceCounters counters;
    private MmuIntervalSubscription subscription;

    final ReentrantLock umemMutex = new SpinLock(); // a mutex that spins while its owner runs
    private final Condition drained = umemMutex.newCondition();
    private final Map<Long, MappedFrame> pfns = new HashMap<>(); // guarded by umemMutex
    private final Map<Long, Integer> dmaInFlight = new HashMap<>(); // guarded by umemMutex
    private boolean dead; // guarded by umemMutex
    private final AtomicLong callbacks = new AtomicLong();

    /** Fault injection: the broken variant whose invalidate forgets to drop mappings. */
    volatile boolean skipZap;
    /** Fault injection: the broken variant that maps what it faulted without readRetry. */
    volatile boolean skipRetry;
    /** Fault injection: runs while a DMA transfer is in flight (pages pinned). */
    volatile Runnable duringDma;
    /** A planted bug (the mutants catalogue), set before the subscription; {@link RdmaBug#NONE} in every real run. */
    volatile RdmaBug bug = RdmaBug.NONE;
    /** Its work queue on the driver's DMA engines; set once registered. */
    DeviceEngines.Context queue;

    MemoryRegion(int id, MmStruct mm, long start, long end, CoherenceOracle oracle, DeviceCounters counters) {
        Addresses.checkRange(start, end);
        this.id = id;
        this.name = "rdma-mr" + id;
        this.mm = mm;
        this.start = start;
        this.end = end;
        this.oracle = oracle;
        this.counters = counters;
    }

    void subscribe() {
        subscription = mm.insertInterval(start, end, this);
        device = oracle.device(subscription);
    }

    public int id() {
        return id;
    }

    MmuIntervalSubscription subscription() {
        return subscription;
    }

    public MmStruct mm() {
        return mm;
    }

    public long start() {
        return start;
    }

    public long end() {
        return end;
    }

    // ------------------------------------------------------------------ invalidation

    @Override
    public boolean invalidate(MmuIntervalSubscription sub, MmuNotifierRange range, long curSeq) {
        callbacks.incrementAndGet();
        RdmaBug b = bug;
        boolean mayBlock = range.isBlockable() && b != RdmaBug.REFUSES_BLOCKABLE;
        if (mayBlock) {
            umemMutex.lock();
        } else if (!umemMutex.tryLock()) {
            return false; // mlx5: would sleep on umem_mutex
        }
        try {
            if (!mayBlock && inFlight(range.start(), range.end()) && b != RdmaBug.NONBLOCK_NO_REFUSE) {
                return false; // would have to wait for DMA
            }
            counters.invalidated();
            sub.setSeq(curSeq);
            if (!skipZap) {
                zap(range.start(), b == RdmaBug.LAST_PAGE_KEPT ? range.end() - Addresses.PAGE_SIZE : range.end());
            }
            while (mayBlock && b != RdmaBug.NO_DMA_DRAIN && inFlight(range.start(), range.end())) {
                drained.awaitUninterruptibly(); // the device finishes what it started on these pages
            }
            return true;
        } finally {
            umemMutex.unlock();
        }
    }

    private void zap(long from, long to) {
        int n = 0;
        for (Iterator<Long> it = pfns.keySet().iterator(); it.hasNext();) {
            long page = it.next();
            if (page >= from && page < to) {
                it.remove();
                n++;
            }
        }
        counters.zapped(n);
    }

    private boolean inFlight(long from, long to) {
        for (long page : dmaInFlight.keySet()) {
            if (page >= from && page < to) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ DMA

    /**
     * One DMA transfer to or from the word at {@code address}: maps the page on demand, pins it
     * for the transfer, and goes through the oracle.
     *
     * @return the word read (write: the value written; atomic: the old value)
     * @throws IllegalArgumentException if the address is outside the region
     * @throws MrGoneException if the region was deregistered
     */
    public long dma(long address, int op, long value) {
        if (address < start || address >= end) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is outside " + this);
        }
        long page = address & Addresses.PAGE_MASK;
        MappedFrame f = pinForDma(page, op != DMA_READ);
        try {
            Runnable hook = duringDma;
            if (hook != null) {
                hook.run();
            }
            counters.accessed();
            return switch (op) {
                case DMA_READ -> device.read(f);
                case DMA_WRITE -> {
                    device.write(f, value);
                    yield value;
                }
                default -> device.fetchAdd(f, value);
            };
        } finally {
            unpin(page);
        }
    }

    /** The ODP fault path: readBegin, fault, umem_mutex, readRetry, map; returns pinned. */
    MappedFrame pinForDma(long page, boolean write) {
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            umemMutex.lock();
            try {
                checkLive();
                MappedFrame f = pfns.get(page);
                if (f != null && (!write || f.writable())) {
                    pin(page);
                    return f;
                }
            } finally {
                umemMutex.unlock();
            }
            counters.faulted();
            // Bounded waits: one process wedged by a stuck callback must not stop a DMA engine
            // that serves every region.
            long seq = subscription.readBegin(DeviceThreads.BUSY_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            MappedFrame f = mm.faultRange(page, page + Addresses.PAGE_SIZE, write, DeviceThreads.BUSY_WAIT_MILLIS,
                    TimeUnit.MILLISECONDS)[0];
            umemMutex.lock();
            try {
                checkLive();
                if (!skipRetry && bug != RdmaBug.SKIP_RETRY && subscription.readRetry(seq)) {
                    counters.retried();
                    continue;
                }
                pfns.put(page, f);
                counters.mapped();
                pin(page);
                return f;
            } finally {
                umemMutex.unlock();
            }
        }
        throw new FaultRetryException(name, page, MAX_RETRIES);
    }

    private void pin(long page) {
        dmaInFlight.merge(page, 1, Integer::sum);
    }

    void unpin(long page) {
        umemMutex.lock();
        try {
            if (dmaInFlight.merge(page, -1, Integer::sum) == 0) {
                dmaInFlight.remove(page);
                drained.signalAll();
            }
        } finally {
            umemMutex.unlock();
        }
    }

    private void checkLive() {
        if (dead) {
            throw new MrGoneException(name);
        }
    }

    /** {@code ib_dereg_mr}: no new DMA, mappings dropped once DMA drained, subscription removed. */
    void deregister() {
        if (bug == RdmaBug.REMOVE_BEFORE_DRAIN) {
            subscription.remove();
        }
        umemMutex.lock();
        try {
            dead = true;
            while (!dmaInFlight.isEmpty()) {
                drained.awaitUninterruptibly();
            }
            counters.zapped(pfns.size());
            pfns.clear();
        } finally {
            umemMutex.unlock();
        }
        if (bug != RdmaBug.REMOVE_BEFORE_DRAIN) {
            subscription.remove();
        }
    }

    public int mappedPages() {
        umemMutex.lock();
        try {
            return pfns.size();
        } finally {
            umemMutex.unlock();
        }
    }

    /** Invalidate callbacks received. */
    public long callbacks() {
        return callbacks.get();
    }

    @Override
    public String toString() {
        return name + " [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") of mm " + mm.id();
    }
}
