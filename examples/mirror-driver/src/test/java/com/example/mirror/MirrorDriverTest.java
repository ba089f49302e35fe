package com.example.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.DeviceLoop;
import org.mmunotifier.testkit.MmuTest;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;
import org.mmunotifier.testkit.WorkloadRun;

/** The mirror driver on the kit's machine: by hand, operation by operation, then under the workload. */
@MmuTest(contract = "6.x", driver = "com.example.mirror")
class MirrorDriverTest {
    private static final long P = 4096;
    private static final long BASE = DemoLayout.region(0);

    /** The driver as DS would make it, told of every process as the core's whiteboard would. */
    private static MirrorDriver attached(TestMachine machine) {
        MirrorDriver driver = new MirrorDriver(machine.oracle());
        machine.attach(driver);
        return driver;
    }

    @Test
    void aPageTheProcessUnmapsIsGoneFromTheMirror(TestMachine machine) {
        MirrorDriver driver = attached(machine);
        TestProcess p = machine.spawnDemo();
        p.write(BASE, 42);
        assertEquals(42L, driver.access(p.pid(), BASE, false, 0));

        p.munmap(BASE, P);

        assertNull(driver.access(p.pid(), BASE, false, 0), "the device read a page the process unmapped");
        p.exit();
        machine.assertClean();
    }

    @Test
    void theMirrorFollowsCopyOnWriteAfterFork(TestMachine machine) {
        MirrorDriver driver = attached(machine);
        TestProcess parent = machine.spawnDemo();
        parent.write(BASE, 1);
        assertEquals(1L, driver.access(parent.pid(), BASE, true, 1));
        TestProcess child = parent.fork();

        parent.write(BASE, 2); // breaks copy-on-write: the parent gets a new frame
        assertEquals(2L, driver.access(parent.pid(), BASE, false, 0));
        assertEquals(1L, child.read(BASE));
        machine.assertClean();
    }

    @Test
    void theMirrorStaysCoherentUnderTheWorkloadAndTheAdversary(TestMachine machine) {
        MirrorDriver driver = attached(machine);
        machine.adversary(0.3, 0.0, 7);

        WorkloadRun run = machine.runWorkload(7, 2, 3, Duration.ofSeconds(2), device(driver));

        assertTrue(run.deviceSteps() > 1_000 && run.total() > 1_000, run.toString());
        machine.assertClean();
    }

    @Test
    void theMissingRetryIsCaught(TestMachine machine) {
        MirrorDriver driver = new MirrorDriver(machine.oracle());
        driver.skipRetry(true);
        machine.attach(driver);
        machine.adversary(0.5, 0.0, 11);

        machine.runWorkload(11, 2, 3, Duration.ofSeconds(2), device(driver));

        AssertionError e = assertThrows(AssertionError.class, machine::assertCoherent);
        assertTrue(e.getMessage().contains("com.example.mirror"), e.getMessage());
        assertTrue(List.of("STALE_TRANSLATION", "USE_AFTER_FREE", "UNMAPPED").stream()
                .anyMatch(e.getMessage()::contains), e.getMessage());
        // The first violation's report: the mirror's own line, and the invalidation it ignored.
        assertTrue(e.getMessage().contains("at com.example.mirror.Mirror.access(Mirror.java:"), e.getMessage());
        assertTrue(e.getMessage().contains("this registration heard of it by invalidate"), e.getMessage());
    }

    /** A device engine: random reads and writes of region 0 of random mirrored processes. */
    private static DeviceLoop device(MirrorDriver driver) {
        return (SplittableRandom random) -> {
            List<Integer> pids = driver.pids();
            if (pids.isEmpty()) {
                Thread.onSpinWait();
                return;
            }
            int pid = pids.get(random.nextInt(pids.size()));
            long address = BASE + random.nextInt(DemoLayout.REGION_PAGES) * P;
            driver.access(pid, address, random.nextBoolean(), random.nextLong());
        };
    }
}
