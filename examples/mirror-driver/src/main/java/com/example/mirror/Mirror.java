package com.example.mirror;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmBusyException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.SegmentationFaultException;

/**
 * A device's mirror of one range of one process ({@code dmirror} in {@code lib/test_hmm.c}): a
 * table of the translations the device uses, filled by faults to the primary and emptied by the
 * interval subscription's {@code invalidate}. The device's accesses happen under the mirror's
 * lock, so {@code invalidate}, which takes the same lock, returns only once none is in flight.
 */
public final class Mirror implements MmuIntervalNotifier {
    private static final long P = Addresses.PAGE_SIZE;

    private final MmStruct mm;
    private final MmuIntervalSubscription subscription;
    private final DeviceAccess device;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, MappedFrame> table = new HashMap<>(); // guarded by lock
    private boolean closed; // guarded by lock
    /** A planted bug for the tests: installs a faulted page without the retry check. */
    volatile boolean skipRetry;

    /** Mirrors {@code [start, start + pages * 4096)} of {@code mm}. */
    public Mirror(MmStruct mm, long start, int pages, CoherenceOracle oracle) {
        this.mm = mm;
        this.subscription = mm.insertInterval(start, start + pages * P, this);
        this.device = oracle.device(subscription);
    }

    /**
     * {@code invalidate}: the primary is about to change ptes in {@code range}. Drops the
     * translations there; from a non-blockable context (the OOM reaper) refuses rather than wait
     * for a device access in flight.
     */
    @Override
    public boolean invalidate(MmuIntervalSubscription sub, MmuNotifierRange range, long curSeq) {
        if (range.isBlockable()) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return false;
        }
        try {
            // Under the lock the fault path checks readRetry under: a fault that read the old pte
            // sees the new sequence and does not install it.
            sub.setSeq(curSeq);
            table.keySet().removeIf(range::contains);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One device access: a read (returning the value) or a write of {@code value}, through the
     * table, faulting the page in from the primary first if it is not there.
     *
     * @return the value read or written, or null if the device's fault failed (nothing mapped
     *         there, the process exited, the mirror closed, or the primary stayed busy)
     */
    public Long access(long address, boolean write, long value) {
        long page = address & Addresses.PAGE_MASK;
        for (int attempt = 0; attempt < 8; attempt++) {
            lock.lock();
            try {
                if (closed) {
                    return null;
                }
                MappedFrame f = table.get(page);
                if (f != null && (!write || f.writable())) {
                    return transfer(f, write, value);
                }
            } finally {
                lock.unlock();
            }
            long seq = subscription.readBegin();
            MappedFrame got;
            try {
                got = mm.faultRange(page, page + P, write)[0];
            } catch (SegmentationFaultException | MmDeadException | MmBusyException | OutOfMemoryException e) {
                return null;
            }
            lock.lock();
            try {
                if (closed) {
                    return null;
                }
                if (!skipRetry && subscription.readRetry(seq)) {
                    continue; // an invalidation ran meanwhile: what we read may be stale
                }
                table.put(page, got);
                return transfer(got, write, value);
            } finally {
                lock.unlock();
            }
        }
        return null;
    }

    private long transfer(MappedFrame f, boolean write, long value) {
        if (write) {
            device.write(f, value);
            return value;
        }
        return device.read(f);
    }

    /** Translations the device holds now. */
    public int mapped() {
        lock.lock();
        try {
            return table.size();
        } finally {
            lock.unlock();
        }
    }

    public MmStruct mm() {
        return mm;
    }

    /** Stops the device and removes the subscription; after it returns no access happens. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            table.clear();
        } finally {
            lock.unlock();
        }
        subscription.remove();
    }
}
