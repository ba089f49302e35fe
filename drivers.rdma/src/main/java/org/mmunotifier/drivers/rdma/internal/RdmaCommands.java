package org.mmunotifier.drivers.rdma.internal;

import java.util.Comparator;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.Processes;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code rdma} shell scope: list, register and deregister memory regions, and the driver's
 * counters. A command checks its arguments before it registers anything; a bad one fails with a
 * one-line message.
 */
@Component(service = RdmaCommands.class, property = {"osgi.command.scope=rdma", "osgi.command.function=mrs",
        "osgi.command.function=reg", "osgi.command.function=dereg", "osgi.command.function=counters"})
public final class RdmaCommands {
    private final RdmaDriver rdma;
    private final Processes processes;

    @Activate
    public RdmaCommands(@Reference RdmaDriver rdma, @Reference Processes processes) {
        this.rdma = rdma;
        this.processes = processes;
    }

    @Descriptor("list the memory regions")
    public List<MrInfo> mrs() {
        return rdma.mrs().stream().sorted(Comparator.comparingInt(MemoryRegion::id)).map(MrInfo::of).toList();
    }

    @Descriptor("register an on-demand-paging memory region over a process's memory")
    public MrInfo reg(@Descriptor("pid") int pid,
            @Descriptor("start address (0x-hex or decimal, page aligned)") String address,
            @Descriptor("length in bytes (0x-hex or decimal, page aligned)") String length) {
        long start = Addresses.parse(address);
        long bytes = Addresses.parse(length, "length");
        MmStruct mm = processes.mm(pid);
        return MrInfo.of(rdma.registerMr(mm, start, bytes)); // checks the range before it registers anything
    }

    @Descriptor("deregister a memory region: waits for its DMA in flight")
    public MrInfo dereg(@Descriptor("memory region id") int id) {
        MemoryRegion mr = rdma.mr(id);
        rdma.deregisterMr(mr);
        return MrInfo.of(mr);
    }

    @Descriptor("the driver's counters: mappings, invalidations, zapped pages, retries, faults, accesses")
    public DeviceCounters.Snapshot counters() {
        return rdma.counters().snapshot();
    }
}
