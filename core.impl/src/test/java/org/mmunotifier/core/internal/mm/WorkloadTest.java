package org.mmunotifier.core.internal.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.testing.DeviceFleet;
import org.mmunotifier.core.internal.testing.MirrorNotifier;
import org.mmunotifier.core.internal.oracle.Violation;

/**
 * The workload on several threads with devices busy through mirroring notifiers: a correct mirror
 * never trips the oracle and leaves frames, ptes and reverse map consistent and nothing leaked; a
 * mirror that ignores invalidations is caught.
 */
class WorkloadTest {
    private final Machine machine = new Machine(512, PageLayout.BITS_64);

    @AfterEach
    void close() {
        machine.close();
    }

    /** A mirror on every process the workload creates, registered; devices access through them. */
    private DeviceFleet mirrors(boolean broken) {
        return new DeviceFleet(machine, p -> {
            MirrorNotifier m = new MirrorNotifier("mirror-" + p.pid(), p.mm(), machine.oracle(), broken);
            p.mm().register(m);
            return m;
        });
    }

    @Test
    void aCorrectMirrorNeverTripsTheOracleAndNothingLeaks() throws Exception {
        DeviceFleet devices = mirrors(false);
        Workload w = new Workload(machine, new Workload.Config(42, 2, 4, 4), devices);
        DeviceFleet.Result run = devices.run(w, 2, 11, Duration.ofSeconds(3), false);
        Workload.Result r = run.workload();

        assertTrue(r.total() > 10_000, "the workload hardly ran: " + r);
        for (Workload.Op op : Workload.Op.values()) {
            assertTrue(r.counts().get(op) > 0, op + " never ran: " + r);
        }
        assertTrue(run.accesses() > 1_000, "devices hardly ran: " + run);
        assertTrue(machine.reclaimer().reclaimedCount() > 0 && machine.migrator().migratedCount() > 0,
                "reclaim and migration never freed or moved a page");
        assertEquals(List.of(), machine.oracle().violations(), "violations under a correct mirror");
        assertEquals(List.of(), machine.checkConsistency(), "frames, ptes and rmap disagree after the run");

        w.close();
        assertEquals(0, machine.memory().usedCount(), "frames leaked after every process exited");
        for (DeviceFleet.Device m : devices.devices()) {
            assertEquals(0, m.mapped(), "a secondary MMU still maps pages of an exited process");
        }
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void aMirrorThatIgnoresInvalidationsIsCaught() throws Exception {
        DeviceFleet devices = mirrors(true);
        Workload w = new Workload(machine, new Workload.Config(43, 2, 4, 4), devices);
        devices.run(w, 2, 12, Duration.ofSeconds(2), false);
        w.close();
        assertTrue(machine.oracle().violationCount() > 0, "the oracle missed a driver that ignores invalidations");
        Violation v = machine.oracle().violations().get(0);
        assertTrue(v.notifier().startsWith("mirror-"), v.toString());
        assertTrue(v.rule() != Violation.Rule.AFTER_RELEASE, v.toString());
    }

    @Test
    void theSameSeedGivesTheSameOperationsOnOneThread() throws Exception {
        Workload.Result a;
        Workload.Result b;
        try (Machine m1 = new Machine(512, PageLayout.BITS_64); Machine m2 = new Machine(512, PageLayout.BITS_64)) {
            a = new Workload(m1, new Workload.Config(7, 1, 2, 2), new Workload.Listener() { })
                    .run(5_000, Duration.ofSeconds(30));
            b = new Workload(m2, new Workload.Config(7, 1, 2, 2), new Workload.Listener() { })
                    .run(5_000, Duration.ofSeconds(30));
        }
        assertEquals(a.counts(), b.counts());
        assertEquals(a.failed(), b.failed());
        assertEquals(5_000, a.total() + a.failed());
    }

    @Test
    void aWorkloadRunAgainCountsOnlyItsOwnOperations() throws Exception {
        Workload w = new Workload(machine, new Workload.Config(9, 2, 2, 2), new Workload.Listener() { });
        for (int round = 0; round < 3; round++) {
            Workload.Result r = w.run(2_000, Duration.ofSeconds(30));
            assertEquals(2_000, r.total() + r.failed(), "round " + round + ": " + r);
        }
        w.close();
    }
}
