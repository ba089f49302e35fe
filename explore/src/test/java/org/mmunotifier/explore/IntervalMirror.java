package org.mmunotifier.explore;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.SegmentationFaultException;

/**
 * The example driver's mirror (examples/mirror-driver), cut down to what a race needs: a table of
 * translations filled by device faults and emptied by an interval subscription's invalidate, the
 * fault path {@code readBegin} → fault → lock → {@code readRetry}. With {@code skipRetry} it
 * installs what it faulted without the retry check: the classic bug.
 */
final class IntervalMirror implements MmuIntervalNotifier {
    /** Faults whose readRetry said an invalidation ran meanwhile, in this JVM: the race was hit. */
    static final AtomicInteger RETRIES = new AtomicInteger();

    private final MmStruct mm;
    private final MmuIntervalSubscription subscription;
    private final DeviceAccess device;
    private final boolean skipRetry;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, MappedFrame> table = new HashMap<>(); // guarded by lock

    IntervalMirror(MmStruct mm, long start, int pages, CoherenceOracle oracle, boolean skipRetry) {
        this.mm = mm;
        this.skipRetry = skipRetry;
        this.subscription = mm.insertInterval(start, start + pages * Addresses.PAGE_SIZE, this);
        this.device = oracle.device(subscription);
    }

    @Override
    public boolean invalidate(MmuIntervalSubscription sub, MmuNotifierRange range, long curSeq) {
        lock.lock(); // every range of these races is blockable
        try {
            sub.setSeq(curSeq);
            table.keySet().removeIf(range::contains);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** One device read (or write of {@code value}) of {@code address}; false if the fault failed. */
    boolean access(long address, boolean write, long value) {
        long page = address & Addresses.PAGE_MASK;
        for (int attempt = 0; attempt < 4; attempt++) {
            lock.lock();
            try {
                MappedFrame f = table.get(page);
                if (f != null && (!write || f.writable())) {
                    transfer(f, write, value);
                    return true;
                }
            } finally {
                lock.unlock();
            }
            long seq = subscription.readBegin();
            MappedFrame got;
            try {
                got = mm.faultRange(page, page + Addresses.PAGE_SIZE, write)[0];
            } catch (SegmentationFaultException e) {
                return false;
            }
            lock.lock();
            try {
                if (skipRetry || !subscription.readRetry(seq)) {
                    table.put(page, got);
                    transfer(got, write, value);
                    return true;
                }
                RETRIES.incrementAndGet();
            } finally {
                lock.unlock();
            }
        }
        return false;
    }

    private void transfer(MappedFrame f, boolean write, long value) {
        if (write) {
            device.write(f, value);
        } else {
            device.read(f);
        }
    }
}
