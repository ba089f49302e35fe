package org.mmunotifier.drivers.rdma.internal;

import java.util.List;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.api.DeviceAttach;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/** Registers an ODP memory region over every new process's memory at {@code attachAddress}. */
@Component(service = ProcessListener.class, configurationPid = RdmaDriver.PID)
public final class RdmaAttach extends DeviceAttach<MemoryRegion> {
    private final RdmaDriver rdma;

    @Activate
    public RdmaAttach(@Reference RdmaDriver rdma, RdmaDriver.Config config) {
        this(rdma, RdmaDriver.attachRegion(config));
    }

    RdmaAttach(RdmaDriver rdma, AttachRegion region) {
        super(region);
        this.rdma = rdma;
    }

    /** A bad setting throws here, and SCR keeps this instance with the settings it had. */
    @Modified
    void modified(RdmaDriver.Config config) {
        reconfigure(RdmaDriver.attachRegion(config));
    }

    @Override
    protected void attach(int pid, MmStruct mm, AttachRegion region) {
        rdma.registerMr(mm, region.address(), region.length());
    }

    @Override
    protected List<MemoryRegion> contextsOf(MmStruct mm) {
        return rdma.mrs().stream().filter(mr -> mr.mm().id() == mm.id()).toList();
    }

    @Override
    protected void detach(MemoryRegion mr) {
        rdma.deregisterMr(mr);
    }
}
