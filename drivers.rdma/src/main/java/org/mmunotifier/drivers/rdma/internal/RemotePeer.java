package org.mmunotifier.drivers.rdma.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
    private static final class Export {
        final MemoryRegion mr;
        final MappedFrame frame;
        final DeviceAccess device;
        int index; // in order

        Export(MemoryRegion mr, MappedFrame frame, DeviceAccess device) {
            this.mr = mr;
            this.frame = frame;
            this.device = device;
        }
    }

    private final CoherenceOracle oracle;
    private final PageFrames frames;
    private final DeviceCounters counters;
    private final Map<Long, Export> exports = new HashMap<>(); // pfn -> export, guarded by this
    /** The same exports in a list, for a remote read of a random one without copying; guarded by this. */
    private final List<Export> order = new ArrayList<>();
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
                Export e = new Export(mr, f, oracle.device(this, mr.mm()));
                Export old = exports.put(f.pfn(), e);
                if (old != null) {
                    unlist(old);
                }
                e.index = order.size();
                order.add(e);
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
        if (bug != RdmaBug.PEER_KEEPS_EXPORT) {
            Export e = exports.remove(page.pfn());
            if (e != null) {
                unlist(e);
                counters.zapped(1);
            }
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
        e.device.read(e.frame);
        return true;
    }

    /** A remote read of a random exported frame; false if the peer maps none. */
    synchronized boolean remoteReadAny(Random rnd) {
        if (order.isEmpty()) {
            return false;
        }
        Export e = order.get(rnd.nextInt(order.size()));
        counters.accessed();
        e.device.read(e.frame);
        return true;
    }

    /** Takes {@code e} out of {@link #order}: the last one moves into its place. */
    private void unlist(Export e) {
        Export last = order.remove(order.size() - 1);
        if (last != e) {
            order.set(e.index, last);
            last.index = e.index;
        }
    }

    synchronized long[] exportedPfns() {
        return exports.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    /** Drops what was exported from {@code mr} (the region is going). */
    synchronized void forget(MemoryRegion mr) {
        exports.entrySet().removeIf(e -> {
            if (e.getValue().mr == mr) {
                frames.page(e.getKey()).clearExternalRmap();
                unlist(e.getValue());
                return true;
            }
            return false;
        });
    }
}
