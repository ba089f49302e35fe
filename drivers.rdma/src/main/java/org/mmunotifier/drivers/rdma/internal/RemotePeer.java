package org.mmunotifier.drivers.rdma.internal;

import java.util.HashMap;
import java.util.Map;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.PageFrames;
import org.mmunotifier.api.page.Page;

/**
 * A remote peer that maps exported pages by frame: the seed's "subsystem with its own rmap". An
 * exported page is marked {@code PageExternalRmap}; the primary then calls
 * {@link #invalidatePage(Page)} whenever it takes the page away, and the peer drops its mapping.
 */
final class RemotePeer implements MmuRmapNotifier {
    private record Export(MemoryRegion mr, MappedFrame frame, DeviceAccess device) {
    }

    private final CoherenceOracle oracle;
    private final PageFrames frames;
    private final DeviceCounters counters;
    private final Map<Long, Export> exports = new HashMap<>(); // pfn -> export, guarded by this
    /** A planted bug (the mutants catalogue); {@link RdmaBug#NONE} in every real run. */
    volatile RdmaBug bug = RdmaBug.NONE;

    RemotePeer(CoherenceOracle oracle, PageFrames frames, DeviceCounters counters) {
        this.oracle = oracle;
        this.frames = frames;
        this.counters = counters;
    }

    /** Exports the page at {@code address} of {@code mr} to the peer; returns its pfn. */
    long export(MemoryRegion mr, long address) {
        long page = address & org.mmunotifier.api.Addresses.PAGE_MASK;
        MappedFrame f = mr.pinForDma(page, false); // pinned: no invalidation can finish meanwhile
        try {
            synchronized (this) {
                // Marked while pinned: the unmap that comes later sees the flag and calls us.
                frames.page(f.pfn()).setExternalRmap();
                exports.put(f.pfn(), new Export(mr, f, oracle.device(this, mr.mm())));
                counters.mapped();
            }
            return f.pfn();
        } finally {
            mr.unpin(page);
        }
    }

    @Override
    public synchronized void invalidatePage(Page page) {
        counters.invalidated();
        if (bug != RdmaBug.PEER_KEEPS_EXPORT && exports.remove(page.pfn()) != null) {
            counters.zapped(1);
        }
        page.clearExternalRmap();
    }

    /**
     * A remote read of an exported frame.
     *
     * @return false if the peer no longer maps it
     */
    synchronized boolean remoteRead(long pfn) {
        Export e = exports.get(pfn);
        if (e == null) {
            return false;
        }
        counters.accessed();
        e.device().read(e.frame());
        return true;
    }

    synchronized long[] exportedPfns() {
        return exports.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    /** Drops what was exported from {@code mr} (the region is going). */
    synchronized void forget(MemoryRegion mr) {
        exports.entrySet().removeIf(e -> {
            if (e.getValue().mr() == mr) {
                frames.page(e.getKey()).clearExternalRmap();
                return true;
            }
            return false;
        });
    }
}
