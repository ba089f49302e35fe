package org.mmunotifier.drivers.gru.internal;

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
 * The {@code gru} shell scope: list, open and close GRU contexts, and the driver's counters. A
 * command checks its arguments before it opens anything; a bad one fails with a one-line message.
 */
@Component(service = GruCommands.class, property = {"osgi.command.scope=gru", "osgi.command.function=contexts",
        "osgi.command.function=open", "osgi.command.function=close", "osgi.command.function=counters"})
public final class GruCommands {
    private final GruDriver gru;
    private final Processes processes;

    @Activate
    public GruCommands(@Reference GruDriver gru, @Reference Processes processes) {
        this.gru = gru;
        this.processes = processes;
    }

    @Descriptor("list the open GRU contexts")
    public List<ContextInfo> contexts() {
        return gru.contexts().stream().sorted(Comparator.comparingInt(GruContext::id)).map(ContextInfo::of).toList();
    }

    @Descriptor("open a GRU context on a process's memory: its instructions work on [start, end)")
    public ContextInfo open(@Descriptor("pid") int pid,
            @Descriptor("start address (0x-hex or decimal, page aligned)") String start,
            @Descriptor("end address, exclusive (0x-hex or decimal, page aligned)") String end) {
        long from = Addresses.parse(start);
        long to = Addresses.parse(end);
        MmStruct mm = processes.mm(pid);
        return ContextInfo.of(gru.open(mm, from, to)); // checks the range before it opens anything
    }

    @Descriptor("close a GRU context: waits for its instruction in flight")
    public ContextInfo close(@Descriptor("context id") int id) {
        GruContext ctx = gru.context(id);
        gru.close(ctx);
        return ContextInfo.of(ctx);
    }

    @Descriptor("the driver's counters: mappings, invalidations, zapped pages, retries, faults, accesses")
    public DeviceCounters.Snapshot counters() {
        return gru.counters().snapshot();
    }
}
