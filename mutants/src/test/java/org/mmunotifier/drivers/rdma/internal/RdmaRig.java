package org.mmunotifier.drivers.rdma.internal;

import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.mutants.Rig;
import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.DeviceLoop;
import org.mmunotifier.testkit.TestMachine;

/**
 * The RDMA driver on the kit's machine: its attach component registers an ODP region over every
 * process's region 0 (private memory, so the OOM reaper's non-blockable unmap reaches it), 2 DMA
 * engines transfer through the regions, export pages to the remote peer and read them remotely.
 * A transfer takes {@value #TRANSFER_NANOS} ns between pinning its page and touching it, as a
 * device's DMA lands a while after it was issued.
 */
public final class RdmaRig implements Rig {
    static final long TRANSFER_NANOS = 20_000;
    private RdmaDriver rdma;

    @Override
    public List<DeviceLoop> start(TestMachine machine, String bug) {
        rdma = new RdmaDriver(machine.oracle(), machine.notifiers(), machine.frames(), 2);
        rdma.plant(RdmaBug.valueOf(bug));
        RdmaAttach attach = new RdmaAttach(rdma, new AttachRegion(true, DemoLayout.region(0), DemoLayout.REGION_PAGES));
        machine.attach(new ProcessListener() {
            @Override
            public void spawned(int pid, MmStruct mm) {
                attach.spawned(pid, mm);
                for (MemoryRegion mr : rdma.mrs()) {
                    if (mr.mm() == mm) {
                        mr.duringDma = () -> LockSupport.parkNanos(TRANSFER_NANOS);
                    }
                }
            }

            @Override
            public void exiting(int pid, MmStruct mm) {
                attach.exiting(pid, mm);
            }
        });
        rdma.startDma(1);
        return List.of(); // the DMA engines are the device
    }

    @Override
    public void stop() {
        rdma.deactivate();
    }

    @Override
    public long accesses() {
        return rdma.counters().snapshot().accesses();
    }

    @Override
    public List<String> knobs() {
        return Rig.knobs(RdmaBug.values());
    }
}
