package org.mmunotifier.drivers.rdma.internal;

/**
 * One memory region as the {@code rdma} commands show it: its id, the mm it covers, its range
 * {@code [start, end)}, and the pages the device has mapped.
 */
public record MrInfo(int id, long mm, String start, String end, int mapped) {

    static MrInfo of(MemoryRegion mr) {
        return new MrInfo(mr.id(), mr.mm().id(), "0x" + Long.toHexString(mr.start()), "0x" + Long.toHexString(mr.end()),
                mr.mappedPages());
    }
}
