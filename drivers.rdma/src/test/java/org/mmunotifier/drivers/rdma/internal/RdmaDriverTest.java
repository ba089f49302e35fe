package org.mmunotifier.drivers.rdma.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.testkit.Waits.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.testkit.ContextsPerProcess;
import org.mmunotifier.testkit.Refusals;
import org.mmunotifier.testkit.Waits;
import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.RunningWorkload;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;

/** The RDMA driver against the real memory manager. */
class RdmaDriverTest {
    static final long P = Addresses.PAGE_SIZE;
    static final long BASE = 0x4000_0000L; // the workload's region 0
    static final long LEN = DemoLayout.REGION_PAGES * P;

    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.rdma"));
    private final RdmaDriver rdma = new RdmaDriver(machine.oracle(), machine.notifiers(), machine.frames(), 2);

    @AfterEach
    void close() {
        rdma.deactivate();
        machine.close();
    }

    /** Gives every process the workload creates a region over region 0 and one over region 1 (shared). */
    private ContextsPerProcess<MemoryRegion> mrsPerProcess(boolean broken) {
        return mrsPerProcess(broken, false);
    }

    /** {@code skipZap}, {@code skipRetry}: the regions' injected bugs. */
    private ContextsPerProcess<MemoryRegion> mrsPerProcess(boolean skipZap, boolean skipRetry) {
        return new ContextsPerProcess<>((pid, mm) -> {
            MemoryRegion priv = rdma.registerMr(mm, BASE, LEN);
            MemoryRegion shared = rdma.registerMr(mm, BASE + 0x1000_0000L, LEN);
            for (MemoryRegion mr : List.of(priv, shared)) {
                mr.skipZap = skipZap;
                mr.skipRetry = skipRetry;
            }
            return List.of(priv, shared);
        }, rdma::deregisterMr);
    }

    /** The workload with a region pair on every process and the DMA engines busy, then every process exits. */
    private void runWithDma(ContextsPerProcess<MemoryRegion> mrs, long seed, int seconds) throws Exception {
        machine.attach(mrs);
        machine.runWorkload(seed, 2, 3, Long.MAX_VALUE, Duration.ofSeconds(seconds), () -> rdma.startDma(seed), rdma::stopDma);
    }

    /** The adversary races every third fault and stalls invalidations: readRetry holds. */
    @Test
    void underTheAdversaryRegionsStayCoherent() throws Exception {
        machine.adversary(0.3, 0.25, 4);
        runWithDma(mrsPerProcess(false, false), 4, 3);
        var c = rdma.counters().snapshot();
        assertTrue(machine.adversaryStrikes() > 100 && c.retries() > 10, machine.adversaryStrikes() + " " + c);
        machine.assertCoherent();
        assertEquals(0, machine.framesInUse());
    }

    /** A region without readRetry maps a page the adversary just took away: caught in every run. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aRegionThatSkipsReadRetryIsCaughtInEveryRunWithinASecond(long seed) throws Exception {
        machine.adversary(0.3, 0.25, seed);
        runWithDma(mrsPerProcess(false, true), seed, 1);
        assertTrue(machine.oracle().violationCount() > 0, "the oracle missed a region that skips readRetry");
        assertNotEquals("AFTER_RELEASE", machine.verdicts().get(0).rule());
    }

    private TestProcess processWithRegion() {
        TestProcess p = machine.spawn();
        p.mmap(BASE, LEN, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        return p;
    }

    @Test
    void memoryRegionsUnderTheWorkloadNeverTouchAFreedPage() throws Exception {
        runWithDma(mrsPerProcess(false), 1, 3);
        var c = rdma.counters().snapshot();
        assertTrue(c.accesses() > 1_000 && c.faults() > 100 && c.invalidations() > 100, c.toString());
        machine.assertCoherent();
        assertEquals(List.of(), rdma.mrs(), "a region outlived its process");
        assertEquals(0, rdma.exportedPfns().length, "the peer still maps frames of exited processes");
        assertEquals(0, machine.framesInUse());
    }

    @Test
    void regionsThatForgetToZapAreCaughtByTheOracle() throws Exception {
        runWithDma(mrsPerProcess(true), 2, 2);
        assertTrue(machine.oracle().violationCount() > 0, "the oracle missed a region that keeps stale mappings");
    }

    @Test
    void anInvalidationReturnsOnlyAfterDmaInFlightHasDrained() throws Exception {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        MemoryRegion mr = rdma.registerMr(mm, BASE, LEN);
        CountDownLatch inDma = new CountDownLatch(1);
        CountDownLatch finishDma = new CountDownLatch(1);
        AtomicBoolean dmaDone = new AtomicBoolean();
        mr.duringDma = () -> {
            mr.duringDma = null;
            inDma.countDown();
            await(finishDma);
            dmaDone.set(true);
        };
        AtomicBoolean doneWhenUnmapReturned = new AtomicBoolean();
        Thread dma = new Thread(() -> mr.dma(BASE, MemoryRegion.DMA_WRITE, 9));
        dma.start();
        await(inDma);
        Thread unmap = new Thread(() -> {
            p.munmap(BASE, P);
            doneWhenUnmapReturned.set(dmaDone.get());
        });
        unmap.start();
        Thread.sleep(100);
        assertTrue(unmap.isAlive(), "munmap returned while DMA to the page was in flight");
        finishDma.countDown();
        dma.join();
        unmap.join();
        assertTrue(doneWhenUnmapReturned.get());
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(0, mr.mappedPages());
    }

    /**
     * ib_dereg_mr waits for the region's DMA with no driver-wide lock held: meanwhile another
     * process's region is registered and deregistered. Under one lock, every fork and exit of
     * the machine queued behind the slowest drain.
     */
    @Test
    void aDeregistrationWaitingForDmaDoesNotHoldUpOtherRegions() throws Exception {
        TestProcess p = processWithRegion();
        TestProcess other = processWithRegion();
        MemoryRegion mr = rdma.registerMr(p.mm(), BASE, LEN);
        CountDownLatch inDma = new CountDownLatch(1);
        CountDownLatch finishDma = new CountDownLatch(1);
        mr.duringDma = () -> {
            mr.duringDma = null;
            inDma.countDown();
            await(finishDma);
        };
        Thread dma = new Thread(() -> mr.dma(BASE, MemoryRegion.DMA_WRITE, 9));
        dma.start();
        await(inDma);
        Thread dereg = new Thread(() -> rdma.deregisterMr(mr), "dereg");
        dereg.start();
        Waits.until(() -> dereg.getState() == Thread.State.WAITING, Duration.ofSeconds(10),
                "the deregistration never waited for the DMA to drain");

        MemoryRegion second = rdma.registerMr(other.mm(), BASE, LEN);
        rdma.deregisterMr(second);
        assertTrue(dereg.isAlive(), "the other region's life waited for this drain");

        finishDma.countDown();
        dma.join();
        dereg.join(10_000);
        assertFalse(dereg.isAlive());
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void aNonBlockableInvalidationIsRefusedWhenTheRegionIsBusy() throws Exception {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        MemoryRegion mr = rdma.registerMr(mm, BASE, LEN);
        mr.dma(BASE, MemoryRegion.DMA_WRITE, 1);
        MmuIntervalSubscription sub = mr.subscription();
        MmuNotifierRange oom = machine.range(mm, BASE, BASE + P, MmuNotifierEvent.UNMAP, false);

        // umem_mutex held by a fault on another thread
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            mr.umemMutex.lock();
            try {
                held.countDown();
                await(release);
            } finally {
                mr.umemMutex.unlock();
            }
        });
        holder.start();
        await(held);
        assertFalse(mr.invalidate(sub, oom, 3), "a busy mutex must refuse a non-blockable invalidation");
        release.countDown();
        holder.join();

        // DMA in flight on the range
        CountDownLatch inDma = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        mr.duringDma = () -> {
            mr.duringDma = null;
            inDma.countDown();
            await(finish);
        };
        Thread dma = new Thread(() -> mr.dma(BASE, MemoryRegion.DMA_READ, 0));
        dma.start();
        await(inDma);
        assertFalse(mr.invalidate(sub, oom, 3), "DMA in flight must refuse a non-blockable invalidation");
        finish.countDown();
        dma.join();
        assertEquals(1, mr.mappedPages(), "a refused invalidation changed the mappings");
        assertTrue(mr.invalidate(sub, oom, 3));
        assertEquals(0, mr.mappedPages());
    }

    @Test
    void anExportedPageIsTornDownAtTheRemotePeerWhenReclaimTakesIt() {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        MemoryRegion mr = rdma.registerMr(mm, BASE, LEN);
        p.write(BASE + P, 3);
        long pfn = rdma.exportPage(mr, BASE + P);
        assertTrue(machine.frames().page(pfn).isExternalRmap());
        assertTrue(rdma.remoteRead(pfn));
        assertTrue(p.reclaim(BASE + P));
        assertFalse(rdma.remoteRead(pfn), "the peer still maps a reclaimed page");
        assertEquals(0, rdma.exportedPfns().length);
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void anExportedPageIsTornDownWhenTheProcessUnmapsIt() {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        MemoryRegion mr = rdma.registerMr(mm, BASE, LEN);
        long pfn = rdma.exportPage(mr, BASE);
        p.munmap(BASE, LEN);
        assertFalse(rdma.remoteRead(pfn));
        assertFalse(machine.frames().page(pfn).isExternalRmap());
    }

    @Test
    void deregisteringWhileTheWorkloadRunsLeavesNoCallbackBehind() throws Exception {
        RunningWorkload load = machine.startWorkload(3, 2, 2, Long.MAX_VALUE, Duration.ofSeconds(2));
        TestProcess p = load.processes().get(0);
        MemoryRegion mr = rdma.registerMr(p.mm(), BASE, LEN);
        rdma.startDma(3);
        Thread.sleep(500);
        rdma.deregisterMr(mr);
        long after = mr.callbacks();
        assertEquals(0, machine.registrationsOn(p.mm()));
        load.join();
        rdma.stopDma();
        assertEquals(after, mr.callbacks(), "an invalidation reached the region after it was deregistered");
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void processExitWhileDmaIsBusy() throws Exception {
        TestProcess p = machine.spawn();
        p.mmap(BASE, LEN, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        MemoryRegion mr = rdma.registerMr(p.mm(), BASE, LEN);
        rdma.startDma(4);
        Thread.sleep(200);
        p.exit();
        Thread.sleep(50);
        rdma.stopDma();
        assertEquals(0, mr.mappedPages());
        rdma.deregisterMr(mr);
        assertEquals(0, machine.framesInUse());
        assertEquals(0, machine.oracle().violationCount());
        assertTrue(rdma.counters().snapshot().accesses() > 0);
    }

    @Test
    void badArgumentsAreRefused() {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> rdma.registerMr(mm, BASE + 1, P));
        assertThrows(IllegalArgumentException.class, () -> new RdmaDriver(machine.oracle(), machine.notifiers(),
                machine.frames(), 17));
        MemoryRegion mr = rdma.registerMr(mm, BASE, P);
        assertThrows(IllegalArgumentException.class, () -> mr.dma(BASE + P, MemoryRegion.DMA_READ, 0));
        rdma.deregisterMr(mr);
        assertThrows(IllegalArgumentException.class, () -> rdma.deregisterMr(mr));
        assertThrows(MrGoneException.class, () -> mr.dma(BASE, MemoryRegion.DMA_READ, 0));
        assertEquals(0, machine.registrationsOn(mm));
    }

    @Test
    void onThe32BitLayoutThereIsNoRemoteExport() {
        try (TestMachine m32 = TestMachine.create(TestMachine.settings().frames(16).layoutBits(32))) {
            RdmaDriver d = new RdmaDriver(m32.oracle(), m32.notifiers(), m32.frames(), 0);
            TestProcess p = m32.spawn();
            p.mmap(BASE, P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
            MemoryRegion mr = d.registerMr(p.mm(), BASE, P);
            assertThrows(UnsupportedOperationException.class, () -> d.exportPage(mr, BASE));
            assertEquals(0, mr.dma(BASE, MemoryRegion.DMA_READ, 0));
            d.deactivate();
        }
    }

    @Test
    void deactivateDeregistersEveryRegionAndRefusesNewOnes() {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        MemoryRegion mr = rdma.registerMr(mm, BASE, LEN);
        rdma.deactivate();
        assertEquals(List.of(), rdma.mrs());
        assertThrows(MrGoneException.class, () -> mr.dma(BASE, MemoryRegion.DMA_READ, 0));
        assertEquals(0, machine.registrationsOn(mm));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> rdma.registerMr(mm, BASE, LEN));
        assertEquals("RDMA driver is deactivated", e.getMessage());
        assertEquals(0, machine.registrationsOn(mm));
        rdma.deactivate(); // again: nothing to do (the peer is not unregistered twice)
    }

    /** Every registration racing deactivation either finished before it (and was undone) or was refused. */
    @Test
    void registrationsRacingDeactivationLeaveNoRegionBehind() throws Exception {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        RuntimeException refused = Refusals.refusalOfLoopRacing(() -> rdma.registerMr(mm, BASE, LEN),
                rdma::deactivate);
        assertEquals("RDMA driver is deactivated", refused.getMessage());
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, machine.registrationsOn(mm), "a region registered during deactivation stayed subscribed");
    }

    /** Under DS (the @Activate constructor) the DMA engines start by themselves; deactivate stops them. */
    @Test
    void activatedByDsTheDmaEnginesWorkOnTheRegionsUntilDeactivate() throws Exception {
        TestProcess p = processWithRegion();
        MmStruct mm = p.mm();
        RdmaDriver ds = new RdmaDriver(machine.oracle(), machine.notifiers(), machine.frames(),
                null, Map.of("dmaThreads", 1));
        try {
            ds.registerMr(mm, BASE, LEN);
            Waits.until(() -> ds.counters().snapshot().accesses() > 0, Duration.ofSeconds(30), "no DMA engine ran");
        } finally {
            ds.deactivate();
        }
        long accesses = ds.counters().snapshot().accesses();
        p.write(BASE, 1); // the process goes on; the device does not
        assertEquals(accesses, ds.counters().snapshot().accesses(), "a DMA engine outlived deactivate");
        assertEquals(0, machine.registrationsOn(mm));
        assertEquals(0, machine.oracle().violationCount());
    }
}
