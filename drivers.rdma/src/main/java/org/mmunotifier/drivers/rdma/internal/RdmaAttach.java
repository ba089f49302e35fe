package org.mmunotifier.drivers.rdma.internal;

import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Registers a memory region over every new process's memory at {@code attachAddress}, for the
 * DMA engines to work on; when the process exits, deregisters every region the driver has on its
 * mm. Does nothing if {@code attach} is false.
 */
@Component(service = ProcessListener.class, configurationPid = RdmaDriver.PID)
public final class RdmaAttach implements ProcessListener {
    private final RdmaDriver rdma;
    private final AttachSettings settings;

    @Activate
    public RdmaAttach(@Reference RdmaDriver rdma, RdmaDriver.Config config) {
        this(rdma, AttachSettings.of(config));
    }

    RdmaAttach(RdmaDriver rdma, AttachSettings settings) {
        this.rdma = rdma;
        this.settings = settings;
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        if (!settings.enabled()) {
            return;
        }
        try {
            rdma.registerMr(mm, settings.address(), settings.length());
        } catch (MmDeadException e) {
            // the process exited before we got to it
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        if (!settings.enabled()) {
            return;
        }
        for (MemoryRegion mr : rdma.mrs()) {
            if (mr.mm().id() == mm.id()) {
                try {
                    rdma.deregisterMr(mr);
                } catch (IllegalArgumentException e) {
                    // deregistered meanwhile (by an operator, or by deactivation)
                }
            }
        }
    }
}
