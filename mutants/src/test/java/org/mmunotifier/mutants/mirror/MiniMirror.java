package org.mmunotifier.mutants.mirror;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.DeviceThreads;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmBusyException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.SegmentationFaultException;

/**
 * A minimal HMM-style mirror of one range of one process ({@code dmirror} in
 * {@code lib/test_hmm.c}, reduced; {@code examples/mirror-driver} is the same design): a table of
 * the translations its device uses, filled by {@code readBegin} → fault → lock →
 * {@code readRetry}, emptied by the interval subscription's {@code invalidate} under the same
 * lock, under which the device also makes its accesses. Its {@link Bug}s are the catalogue's.
 */
final class MiniMirror implements MmuIntervalNotifier {
    /** A bug planted in the mirror for the catalogue of mutants; {@link #NONE} is the correct mirror. */
    enum Bug {
        NONE,
        /** Installs a faulted page without {@code mmu_interval_read_retry}. */
        SKIP_RETRY,
        /** {@code invalidate} forgets {@code mmu_interval_set_seq}: {@code read_retry} never sees an invalidation. */
        NO_SET_SEQ,
        /** {@code invalidate} keeps the entries of a write-protecting range (mprotect, fork, soft-dirty). */
        KEEP_WRITABLE,
        /** {@code invalidate} skips every MIGRATE and EXCLUSIVE range as if its own device had started it. */
        SKIPS_FOREIGN_MIGRATE,
        /** The driver's deactivation forgets to remove the subscriptions (see {@link MirrorDriver}). */
        LEAK_ON_STOP
    }

    private static final long P = Addresses.PAGE_SIZE;
    private static final int MAX_ATTEMPTS = 8;

    private final MmStruct mm;
    private final Bug bug;
    /** Who the device is, as the ranges of its own migrations name it ({@code range->owner}). */
    private final Object device;
    private final MmuIntervalSubscription subscription;
    private final DeviceAccess access;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, MappedFrame> table = new HashMap<>(); // guarded by lock
    private boolean closed; // guarded by lock

    /** Mirrors {@code [start, start + pages * 4096)} of {@code mm} for {@code device}. */
    MiniMirror(MmStruct mm, long start, int pages, CoherenceOracle oracle, Object device, Bug bug) {
        this.mm = mm;
        this.bug = bug;
        this.device = device;
        this.subscription = mm.insertInterval(start, start + pages * P, this);
        this.access = oracle.device(subscription);
    }

    @Override
    public boolean invalidate(MmuIntervalSubscription sub, MmuNotifierRange range, long curSeq) {
        boolean migration = range.event() == MmuNotifierEvent.MIGRATE || range.event() == MmuNotifierEvent.EXCLUSIVE;
        if (migration && (range.owner() == device || bug == Bug.SKIPS_FOREIGN_MIGRATE)) {
            return true; // its own device moves the pages: it knows (nouveau, amdgpu)
        }
        if (range.isBlockable()) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return false; // the OOM reaper: would wait for an access in flight
        }
        try {
            if (bug != Bug.NO_SET_SEQ) {
                sub.setSeq(curSeq); // under the lock readRetry is checked under
            }
            if (!(bug == Bug.KEEP_WRITABLE && writeProtects(range.event()))) {
                table.keySet().removeIf(range::contains);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private static boolean writeProtects(MmuNotifierEvent e) {
        return e == MmuNotifierEvent.PROTECTION_VMA || e == MmuNotifierEvent.PROTECTION_PAGE
                || e == MmuNotifierEvent.SOFT_DIRTY;
    }

    /**
     * One device access: a read or a write of {@code value}, through the table, faulting the page
     * in first if it is not there.
     *
     * @return whether it happened (not if the fault failed, the mirror closed or every attempt raced)
     */
    boolean access(long address, boolean write, long value) {
        long page = address & Addresses.PAGE_MASK;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            lock.lock();
            try {
                if (closed) {
                    return false;
                }
                MappedFrame f = table.get(page);
                if (f != null && (!write || f.writable())) {
                    transfer(f, write, value);
                    return true;
                }
            } finally {
                lock.unlock();
            }
            long seq;
            MappedFrame got;
            try {
                seq = subscription.readBegin(DeviceThreads.BUSY_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                got = mm.faultRange(page, page + P, write, DeviceThreads.BUSY_WAIT_MILLIS, TimeUnit.MILLISECONDS)[0];
            } catch (SegmentationFaultException | MmDeadException | MmBusyException | OutOfMemoryException e) {
                return false;
            }
            lock.lock();
            try {
                if (closed) {
                    return false;
                }
                if (bug != Bug.SKIP_RETRY && subscription.readRetry(seq)) {
                    continue; // an invalidation ran meanwhile: what the fault read may be stale
                }
                table.put(page, got);
                transfer(got, write, value);
                return true;
            } finally {
                lock.unlock();
            }
        }
        return false;
    }

    private void transfer(MappedFrame f, boolean write, long value) {
        if (write) {
            access.write(f, value);
        } else {
            access.read(f);
        }
    }

    /** Stops the device and removes the subscription; no access happens after it returns. */
    void close() {
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
