package org.mmunotifier.bench;

import java.time.Duration;

import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Workload;
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
 * all three attached to every process. The drivers have no device engine here: this measures
 * what the notifier calls cost the primary MMU, not CPU time taken by devices.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WorkloadBench {
    private static final long OPS = 20_000;

    @Param({"none", "all"})
    public String drivers;

    private Machine machine;
    private Workload workload;
    private AllDrivers all;

    @Setup
    public void setup() {
        machine = new Machine(512, PageLayout.BITS_64);
        Workload.Listener listener = new Workload.Listener() { };
        if ("all".equals(drivers)) {
            all = new AllDrivers(machine, 0, 1); // attached, no engine: only what the callbacks cost
            listener = all;
        }
        workload = new Workload(machine, new Workload.Config(1, 2, 3, 2), listener);
    }

    @TearDown
    public void tearDown() {
        workload.close();
        if (all != null) {
            all.close();
        }
        machine.close();
    }

    @Benchmark
    public long ops() throws InterruptedException {
        return workload.run(OPS, Duration.ofMinutes(1)).total();
    }

}
