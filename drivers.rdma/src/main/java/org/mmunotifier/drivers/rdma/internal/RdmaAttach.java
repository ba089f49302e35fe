package org.mmunotifier.drivers.rdma.internal;

import org.mmunotifier.api.ConfigValues;
import java.util.Map;
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
    public RdmaAttach(@Reference RdmaDriver rdma, Map<String, ?> properties) {
        this(rdma, RdmaDriver.attachRegion(ConfigValues.lenient(RdmaDriver.PID, RdmaDriver.Config.class, properties,
                ConfigValues.quiet())));
    }

    RdmaAttach(RdmaDriver rdma, AttachRegion region) {
        super(region);
        this.rdma = rdma;
    }

    /** A bad setting (the driver reports it) changes nothing. */
    @Modified
    void modified(Map<String, ?> properties) {
        RdmaDriver.Config config = ConfigValues.changed(RdmaDriver.PID, RdmaDriver.Config.class, properties, ConfigValues.quiet());
        if (config == null) {
            return; // the driver reports it
        }
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
