package org.mmunotifier.core.internal.testing;

import java.util.HashMap;
import java.util.Map;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.SegmentationFaultException;

/**
 * A secondary MMU done the simple, correct way: a table of mapped frames under one lock, dropped
 * on every invalidation, refilled by faulting through {@link MmStruct#faultRange} with KVM's
 * in-progress count and sequence so a fault that raced an invalidation retries. Every device
 * access goes through the oracle under the lock. {@code ignoreInvalidations} makes it the broken
 * driver the oracle must catch.
 */
public class MirrorNotifier implements MmuNotifier, DeviceFleet.Device {
    private final String name;
    private final MmStruct mm;
    private final CoherenceOracle oracle;
    private final boolean ignoreInvalidations;
    private final Map<Long, MappedFrame> table = new HashMap<>(); // guarded by this
    private int inProgress; // guarded by this
    private long seq; // guarded by this
    private boolean released; // guarded by this
    private DeviceAccess device; // guarded by this; once registered

    public MirrorNotifier(String name, MmStruct mm, CoherenceOracle oracle, boolean ignoreInvalidations) {
        this.name = name;
        this.mm = mm;
        this.oracle = oracle;
        this.ignoreInvalidations = ignoreInvalidations;
    }

    @Override
    public synchronized boolean invalidateRangeStart(MmuNotifierRange range) {
        inProgress++;
        if (!ignoreInvalidations) {
            table.keySet().removeIf(range::contains);
        }
        return true;
    }

    @Override
    public synchronized void invalidateRangeEnd(MmuNotifierRange range) {
        seq++;
        inProgress--;
    }

    @Override
    public synchronized void invalidatePage(MmStruct m, long address) {
        seq++; // a fault that read the old pte must not install it
        if (!ignoreInvalidations) {
            table.remove(address);
        }
    }

    @Override
    public synchronized void release(MmStruct m) {
        released = true;
        table.clear();
    }

    /**
     * A device access to the page at {@code address}: through the table if mapped, else a fault.
     * Faults that lose a race (retry), or hit unmapped or exited memory, just do nothing.
     *
     * @return whether the access happened
     */
    @Override
    public boolean access(long address, boolean write, long value) {
        long page = address & Addresses.PAGE_MASK;
        for (int attempt = 0; attempt < 3; attempt++) {
            long s;
            synchronized (this) {
                if (released) {
                    return false;
                }
                MappedFrame f = table.get(page);
                if (f != null && (!write || f.writable())) {
                    if (device == null) {
                        device = oracle.device(this, mm);
                    }
                    if (write) {
                        device.write(f, value);
                    } else {
                        device.read(f);
                    }
                    return true;
                }
                s = seq;
            }
            MappedFrame[] frames;
            try {
                frames = mm.faultRange(page, page + Addresses.PAGE_SIZE, write);
            } catch (SegmentationFaultException | MmDeadException | OutOfMemoryException e) {
                return false;
            }
            synchronized (this) {
                if (!released && inProgress == 0 && seq == s) {
                    table.put(page, frames[0]);
                }
            }
        }
        return false;
    }

    @Override
    public synchronized int mapped() {
        return table.size();
    }

    @Override
    public String toString() {
        return name;
    }
}
