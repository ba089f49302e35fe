package org.mmunotifier.bench;

import java.time.Duration;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;
import org.mmunotifier.drivers.gru.internal.GruContext;
import org.mmunotifier.drivers.gru.internal.GruDriver;
import org.mmunotifier.drivers.kvm.internal.KvmDriver;
import org.mmunotifier.drivers.kvm.internal.Vm;
import org.mmunotifier.drivers.rdma.internal.MemoryRegion;
import org.mmunotifier.drivers.rdma.internal.RdmaDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * 20 000 operations of the workload (2 threads, 3 processes), with no driver attached, or with
 * all three attached to every process. The drivers' device threads are idle here: this measures
 * what the notifier calls cost the primary MMU, not CPU time taken by devices.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WorkloadBench {
    private static final long OPS = 20_000;
    private static final long REGION = 0x4000_0000L;
    private static final long LEN = Workload.REGION_PAGES * 4096L;

    @Param({"none", "all"})
    public String drivers;

    private Machine machine;
    private Workload workload;
    private KvmDriver kvm;
    private RdmaDriver rdma;
    private GruDriver gru;

    /** Attaches a VM, an MR and a GRU context to every process the workload creates. */
    private final class AllDrivers implements Workload.Listener {
        final Map<Process, Object[]> attached = new ConcurrentHashMap<>();

        @Override
        public void spawned(Process p) {
            try {
                attached.put(p, new Object[] {kvm.createVm(p.mm(), REGION, Workload.REGION_PAGES),
                    rdma.registerMr(p.mm(), REGION, LEN), gru.open(p.mm(), REGION, REGION + LEN)});
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
    }

    @Setup
    public void setup() {
        machine = new Machine(512, PageLayout.BITS_64);
        Workload.Listener listener = new Workload.Listener() { };
        if ("all".equals(drivers)) {
            kvm = new KvmDriver(machine.oracle(), 1);
            rdma = new RdmaDriver(machine.oracle(), machine.notifierCore(), machine.memory(), 0);
            gru = new GruDriver(machine.oracle(), machine.notifierCore(), 64, 16, 0);
            listener = new AllDrivers();
        }
        workload = new Workload(machine, new Workload.Config(1, 2, 3, 2), listener);
    }

    @TearDown
    public void tearDown() {
        workload.close();
        if (kvm != null) {
            kvm.deactivate();
            rdma.deactivate();
            gru.deactivate();
        }
        machine.close();
    }

    @Benchmark
    public long ops() throws InterruptedException {
        return workload.run(OPS, Duration.ofMinutes(1)).total();
    }

}
