package org.mmunotifier.core.internal.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.testing.MirrorNotifier;

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

    /** Attaches a mirror to every process the workload creates; devices access through them. */
    private final class Devices implements Workload.Listener {
        final Map<Process, MirrorNotifier> mirrors = new ConcurrentHashMap<>();
        final List<MirrorNotifier> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        final boolean broken;
        final AtomicLong accesses = new AtomicLong();

        Devices(boolean broken) {
            this.broken = broken;
        }

        @Override
        public void spawned(Process p) {
            MirrorNotifier m = new MirrorNotifier("mirror-" + p.pid(), p.mm(), machine.oracle(), broken);
            try {
                p.mm().register(m);
            } catch (MmDeadException e) {
                return;
            }
            all.add(m);
            mirrors.put(p, m);
        }

        @Override
        public void exiting(Process p) {
            mirrors.remove(p);
        }

        void deviceLoop(long seed, AtomicBoolean stop) {
            Random rnd = new Random(seed);
            while (!stop.get()) {
                Map.Entry<Process, MirrorNotifier>[] live = mirrors.entrySet().toArray(new Map.Entry[0]);
                if (live.length == 0) {
                    continue;
                }
                MirrorNotifier m = live[rnd.nextInt(live.length)].getValue();
                long page = Workload.region(rnd.nextInt(Workload.REGIONS))
                        + rnd.nextInt(Workload.REGION_PAGES) * Addresses.PAGE_SIZE;
                if (m.access(page, rnd.nextBoolean(), rnd.nextLong())) {
                    accesses.incrementAndGet();
                }
            }
        }
    }

    private Workload.Result runWithDevices(Devices devices, Workload w, Duration budget) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread d1 = new Thread(() -> devices.deviceLoop(11, stop), "device-1");
        Thread d2 = new Thread(() -> devices.deviceLoop(12, stop), "device-2");
        d1.start();
        d2.start();
        try {
            return w.run(Long.MAX_VALUE, budget);
        } finally {
            stop.set(true);
            d1.join();
            d2.join();
        }
    }

    @Test
    void aCorrectMirrorNeverTripsTheOracleAndNothingLeaks() throws Exception {
        Devices devices = new Devices(false);
        Workload w = new Workload(machine, new Workload.Config(42, 2, 4, 4), devices);
        Workload.Result r = runWithDevices(devices, w, Duration.ofSeconds(3));

        assertTrue(r.total() > 10_000, "the workload hardly ran: " + r);
        for (Workload.Op op : Workload.Op.values()) {
            assertTrue(r.counts().get(op) > 0, op + " never ran: " + r);
        }
        assertTrue(devices.accesses.get() > 1_000, "devices hardly ran: " + devices.accesses);
        assertTrue(machine.reclaimer().reclaimedCount() > 0 && machine.migrator().migratedCount() > 0,
                "reclaim and migration never freed or moved a page");
        assertEquals(List.of(), machine.oracle().violations(), "violations under a correct mirror");
        assertEquals(List.of(), machine.checkConsistency(), "frames, ptes and rmap disagree after the run");

        w.close();
        assertEquals(0, machine.memory().usedCount(), "frames leaked after every process exited");
        for (MirrorNotifier m : devices.all) {
            assertEquals(0, m.mapped(), "a secondary MMU still maps pages of an exited process");
        }
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void aMirrorThatIgnoresInvalidationsIsCaught() throws Exception {
        Devices devices = new Devices(true);
        Workload w = new Workload(machine, new Workload.Config(43, 2, 4, 4), devices);
        runWithDevices(devices, w, Duration.ofSeconds(2));
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
