package org.mmunotifier.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;
import org.mmunotifier.drivers.gru.internal.GruContext;
import org.mmunotifier.drivers.gru.internal.GruDriver;
import org.mmunotifier.drivers.kvm.internal.KvmDriver;
import org.mmunotifier.drivers.kvm.internal.Vm;
import org.mmunotifier.drivers.rdma.internal.MemoryRegion;
import org.mmunotifier.drivers.rdma.internal.RdmaDriver;

/**
 * KVM, RDMA and GRU on one machine, attached to every process a workload creates the way the
 * launcher's drivers attach (a VM over region 0, a memory region over region 1, a GRU context over
 * region 2), each with {@code engines} device engines (0: attached, but no device runs).
 */
final class AllDrivers implements Workload.Listener, AutoCloseable {
    private static final long LEN = Workload.REGION_PAGES * 4096L;

    final KvmDriver kvm;
    final RdmaDriver rdma;
    final GruDriver gru;
    private final long seed;
    private final Map<Process, Object[]> attached = new ConcurrentHashMap<>();

    AllDrivers(Machine machine, int engines, long seed) {
        this.seed = seed;
        kvm = new KvmDriver(machine.oracle(), 2, Integer.getInteger("e2e.kvm", engines));
        rdma = new RdmaDriver(machine.oracle(), machine.notifierCore(), machine.memory(), Integer.getInteger("e2e.rdma", engines));
        gru = new GruDriver(machine.oracle(), machine.notifierCore(), 64, 16, Integer.getInteger("e2e.gru", engines));
        rdma.startDma(seed);
        gru.startInstructions(seed);
    }

    @Override
    public void spawned(Process p) {
        try {
            Vm vm = kvm.createVm(p.mm(), Workload.region(0), Workload.REGION_PAGES);
            kvm.run(vm, seed + p.pid());
            attached.put(p, new Object[] {vm, rdma.registerMr(p.mm(), Workload.region(1), LEN),
                gru.open(p.mm(), Workload.region(2), Workload.region(2) + LEN)});
        } catch (MmDeadException e) {
            // exited before it could be attached
        }
    }

    @Override
    public void exiting(Process p) {
        Object[] a = attached.remove(p);
        if (a != null) {
            kvm.destroyVm((Vm) a[0]);
            rdma.deregisterMr((MemoryRegion) a[1]);
            gru.close((GruContext) a[2]);
        }
    }

    /** The three drivers' counters added up: accesses, faults, retries. */
    long[] deviceWork() {
        long[] sum = new long[3];
        for (DeviceCounters c : new DeviceCounters[] {kvm.counters(), rdma.counters(), gru.counters()}) {
            DeviceCounters.Snapshot s = c.snapshot();
            sum[0] += s.accesses();
            sum[1] += s.faults();
            sum[2] += s.retries();
        }
        return sum;
    }

    @Override
    public void close() {
        kvm.deactivate();
        rdma.deactivate();
        gru.deactivate();
    }
}
