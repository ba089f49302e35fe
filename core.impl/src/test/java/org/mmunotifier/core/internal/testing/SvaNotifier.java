package org.mmunotifier.core.internal.testing;

import java.util.HashMap;
import java.util.Map;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifierContract;

/**
 * An SVA/IOMMU-style secondary MMU: the device shares the process's page table and caches
 * translations in an IOTLB filled by walking it ({@code faultRange}, standing for ATS/PRI). It
 * has no start/end: only the flush the primary sends after the ptes changed, 6.x's
 * {@code arch_invalidate_secondary_tlbs} or the seed's {@code invalidate_range} and
 * {@code invalidate_page}. A fill that raced a flush is dropped, as an IOMMU's page walk
 * completes before an invalidation does. {@code ignoreRangeFlush} is the driver that forgot: it
 * ignores {@code arch_invalidate_secondary_tlbs} (6.x) or the seed's {@code invalidate_range}
 * (still honouring the seed's {@code invalidate_page}).
 */
public final class SvaNotifier extends SecondaryMmu {
    private final MmuNotifierContract contract;
    private final boolean ignoreRangeFlush;
    private final Map<Long, MappedFrame> iotlb = new HashMap<>(); // guarded by this
    private long flushes; // guarded by this
    private boolean detached; // guarded by this

    /**
     * Creates the notifier and registers it on {@code mm}.
     *
     * @param contract {@link MmuNotifierContract#V6} or {@link MmuNotifierContract#SEED}
     */
    public SvaNotifier(String name, MmStruct mm, CoherenceOracle oracle, MmuNotifierContract contract,
            boolean ignoreRangeFlush) {
        super(name, mm, oracle);
        this.contract = contract;
        this.ignoreRangeFlush = ignoreRangeFlush;
        register();
    }

    @Override
    public MmuNotifierContract contract() {
        return contract;
    }

    @Override
    public void archInvalidateSecondaryTlbs(MmStruct m, long start, long end) {
        if (!ignoreRangeFlush) {
            flush(start, end);
        }
    }

    @Override
    public void invalidateRange(MmStruct m, long start, long end, boolean atomic) {
        if (!ignoreRangeFlush) {
            flush(start, end);
        }
    }

    @Override
    public void invalidatePage(MmStruct m, long address) {
        flush(address, address + Addresses.PAGE_SIZE);
    }

    private void flush(long start, long end) {
        synchronized (this) {
            flushes++;
            iotlb.keySet().removeIf(a -> a >= start && a < end);
        }
    }

    @Override
    public boolean access(long address, boolean write, long value) {
        long page = address & Addresses.PAGE_MASK;
        for (int attempt = 0; attempt < 3; attempt++) {
            long s;
            synchronized (this) { // the access completes before a flush is acknowledged
                if (detached) {
                    return false;
                }
                MappedFrame f = iotlb.get(page);
                if (f != null && (!write || f.writable())) {
                    transfer(f, write, value);
                    return true;
                }
                s = flushes;
            }
            MappedFrame got = fault(page, write);
            if (got == null) {
                return false;
            }
            synchronized (this) {
                if (!detached && flushes == s) {
                    iotlb.put(page, got);
                }
            }
        }
        return false;
    }

    @Override
    public synchronized int mapped() {
        return iotlb.size();
    }

    @Override
    public void detach() {
        synchronized (this) {
            detached = true;
            iotlb.clear();
        }
        unregister();
    }

    @Override
    public String toString() {
        return name + " (sva " + contract.label() + (ignoreRangeFlush ? ", ignores its range flush" : "") + ")";
    }
}
