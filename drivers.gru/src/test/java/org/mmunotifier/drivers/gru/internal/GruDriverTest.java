package org.mmunotifier.drivers.gru.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.testkit.Waits.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.DeviceThreads;
import org.mmunotifier.api.MmBusyException;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.testkit.ContextsPerProcess;
import org.mmunotifier.testkit.Refusals;
import org.mmunotifier.testkit.Waits;
import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.RunningWorkload;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;

/** The GRU driver against the real memory manager. */
class GruDriverTest {
    static final long P = Addresses.PAGE_SIZE;
    static final long BASE = 0x4000_0000L; // the workload's region 0
    static final long LEN = DemoLayout.REGION_PAGES * P;

    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.gru")
            .contract("2.6.27"));
    private final GruDriver gru = new GruDriver(machine.oracle(), machine.notifiers(), 16, 8, 2);

    @AfterEach
    void close() {
        gru.deactivate();
        machine.close();
    }

    /** Gives every process the workload creates a context on region 0 and one on region 1; a broken first one. */
    private ContextsPerProcess<GruContext> contextsPerProcess(boolean broken) {
        return new ContextsPerProcess<>((pid, mm) -> {
            GruContext a = gru.open(mm, BASE, BASE + LEN);
            GruContext b = gru.open(mm, BASE + 0x1000_0000L, BASE + 0x1000_0000L + LEN);
            a.gms.skipFlush = broken;
            return List.of(a, b);
        }, gru::close);
    }

    /** The workload with two contexts on every process and instructions running, then every process exits. */
    private void runWithInstructions(ContextsPerProcess<GruContext> ctxs, long seed, int seconds) throws Exception {
        machine.attach(ctxs);
        machine.runWorkload(seed, 2, 3, Long.MAX_VALUE, Duration.ofSeconds(seconds), () -> gru.startInstructions(seed), gru::stopInstructions);
    }

    private TestProcess processWithBuffer() {
        TestProcess p = machine.spawn();
        p.mmap(BASE, LEN, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        return p;
    }

    @Test
    void contextsUnderTheWorkloadNeverTouchAFreedPage() throws Exception {
        runWithInstructions(contextsPerProcess(false), 1, 3);
        machine.notifiers().synchronize(); // the puts' frees
        var c = gru.counters().snapshot();
        assertTrue(c.accesses() > 1_000 && c.faults() > 100 && c.invalidations() > 100, c.toString());
        machine.assertCoherent();
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, gru.tlbSize(), "TLB entries outlived their contexts");
        assertEquals(0, machine.framesInUse());
    }

    /** The adversary races every third drop-in and stalls invalidations: the ms_range_active wait holds. */
    @Test
    void underTheAdversaryContextsStayCoherent() throws Exception {
        machine.adversary(0.3, 0.25, 5);
        runWithInstructions(contextsPerProcess(false), 5, 3);
        machine.notifiers().synchronize(); // the puts' frees
        var c = gru.counters().snapshot();
        assertTrue(machine.adversaryStrikes() > 100 && c.retries() > 10, machine.adversaryStrikes() + " " + c);
        machine.assertCoherent();
        assertEquals(0, machine.framesInUse());
    }

    @Test
    void aTlbThatIsNotFlushedIsCaughtByTheOracle() throws Exception {
        runWithInstructions(contextsPerProcess(true), 2, 2);
        assertTrue(machine.oracle().violationCount() > 0, "the oracle missed a TLB that keeps stale entries");
    }

    @Test
    void contextsOfOneMmShareOneRegistrationAndOneAsid() {
        TestProcess p = processWithBuffer();
        MmStruct mm = p.mm();
        GruContext a = gru.open(mm, BASE, BASE + LEN);
        GruContext b = gru.open(mm, BASE, BASE + LEN);
        assertSame(a.gms, b.gms);
        assertEquals(a.asid(), b.asid());
        assertEquals(1, machine.registrationsOn(mm));
        MmStruct other = processWithBuffer().mm();
        GruContext c = gru.open(other, BASE, BASE + LEN);
        assertFalse(c.asid() == a.asid());

        a.execute(GruContext.STORE, BASE, 5);
        assertEquals(5, b.execute(GruContext.LOAD, BASE, 0), "contexts of one mm see the same memory");
        gru.close(a);
        assertEquals(1, machine.registrationsOn(mm), "the registration went with the first context");
        assertEquals(1, gru.tlbSize(a.asid()), "closing one context flushed the other's translations");
        gru.close(b);
        assertEquals(0, machine.registrationsOn(mm));
        assertEquals(0, gru.tlbSize(a.asid()));
        assertThrows(ContextGoneException.class, () -> a.execute(GruContext.LOAD, BASE, 0));
    }

    /** A miss while a range invalidation is active waits for its end, then drops the new page in. */
    @Test
    void aMissWaitsWhileARangeInvalidationIsActive() throws Exception {
        TestProcess p = processWithBuffer();
        MmStruct mm = p.mm();
        GruContext ctx = gru.open(mm, BASE, BASE + LEN);
        ctx.execute(GruContext.STORE, BASE, 1);
        CountDownLatch inInvalidation = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        mm.register(new MmuNotifier() { // after the GRU's: its start has already made rangeActive 1
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                inInvalidation.countDown();
                await(finish);
                return true;
            }
        });
        Thread munmap = new Thread(() -> p.madviseDontNeed(BASE, P));
        munmap.start();
        await(inInvalidation);
        long[] loaded = {-1};
        AtomicReference<RuntimeException> busy = new AtomicReference<>();
        Thread miss = new Thread(() -> {
            try {
                loaded[0] = ctx.execute(GruContext.LOAD, BASE, 0);
            } catch (MmBusyException e) {
                busy.set(e); // waited its bound, installed nothing: the instruction is retried later
            }
        });
        long t0 = System.nanoTime();
        miss.start();
        miss.join(5_000);
        assertTrue(busy.get() != null, "the dropin did not wait for the active invalidation: loaded " + loaded[0]);
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(DeviceThreads.BUSY_WAIT_MILLIS),
                "it gave up before its bound");
        finish.countDown();
        munmap.join();
        assertEquals(0, ctx.execute(GruContext.LOAD, BASE, 0), "the dropin used the page the invalidation dropped");
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void theTlbHoldsNoMoreThanItsEntriesAndFlushesPastTheThreshold() {
        TestProcess p = processWithBuffer();
        MmStruct mm = p.mm();
        GruContext ctx = gru.open(mm, BASE, BASE + LEN);
        for (int i = 0; i < 32; i++) {
            ctx.execute(GruContext.STORE, BASE + i * P, i);
        }
        assertEquals(16, gru.tlbSize());
        assertEquals(16, gru.tlbEvictions());
        for (int i = 0; i < 32; i++) {
            assertEquals(i, ctx.execute(GruContext.LOAD, BASE + i * P, 0));
        }
        // 2 pages: within the threshold, only those go
        int before = gru.tlbSize(ctx.asid());
        p.madviseDontNeed(BASE + 30 * P, 2 * P);
        assertEquals(before - 2, gru.tlbSize(ctx.asid()));
        // 9 pages: past the threshold of 8, the whole ASID goes
        p.mprotect(BASE, 9 * P, TestProcess.PROT_READ);
        assertEquals(0, gru.tlbSize(ctx.asid()));
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void closingTheLastContextWhileTheWorkloadRunsLeavesNoCallbackBehind() throws Exception {
        RunningWorkload load = machine.startWorkload(3, 2, 2, Long.MAX_VALUE, Duration.ofSeconds(2));
        TestProcess p = load.processes().get(0);
        GruContext ctx = gru.open(p.mm(), BASE, BASE + LEN);
        gru.startInstructions(3);
        Thread.sleep(500);
        gru.close(ctx);
        long after = ctx.gms.callbacks();
        assertEquals(0, machine.registrationsOn(p.mm()));
        load.join();
        gru.stopInstructions();
        assertEquals(after, ctx.gms.callbacks(), "a callback reached the GRU after its last context closed");
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void processExitWhileInstructionsRun() throws Exception {
        TestProcess p = machine.spawn();
        p.mmap(BASE, LEN, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        GruContext ctx = gru.open(p.mm(), BASE, BASE + LEN);
        gru.startInstructions(4);
        Thread.sleep(200);
        p.exit();
        Thread.sleep(50);
        gru.stopInstructions();
        assertEquals(0, gru.tlbSize(ctx.asid()));
        assertThrows(ContextGoneException.class, () -> ctx.execute(GruContext.LOAD, BASE, 0));
        gru.close(ctx);
        machine.notifiers().synchronize();
        assertEquals(0, machine.framesInUse());
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void badArgumentsAreRefused() {
        TestProcess p = processWithBuffer();
        MmStruct mm = p.mm();
        assertThrows(IllegalArgumentException.class,
                () -> new GruDriver(machine.oracle(), machine.notifiers(), 0, 8, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new GruDriver(machine.oracle(), machine.notifiers(), 16, 0, 1));
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> gru.open(mm, BASE, BASE));
        GruContext ctx = gru.open(mm, BASE, BASE + P);
        gru.close(ctx);
        assertThrows(IllegalArgumentException.class, () -> gru.close(ctx));
        assertThrows(IllegalArgumentException.class, () -> gru.context(ctx.id()));
        assertEquals(0, machine.registrationsOn(mm));
    }

    @Test
    void deactivateClosesEveryContextAndRefusesNewOnes() {
        TestProcess p = processWithBuffer();
        MmStruct mm = p.mm();
        GruContext ctx = gru.open(mm, BASE, BASE + LEN);
        ctx.execute(GruContext.STORE, BASE, 1);
        gru.deactivate();
        assertEquals(List.of(), gru.contexts());
        assertThrows(ContextGoneException.class, () -> ctx.execute(GruContext.LOAD, BASE, 0));
        assertEquals(0, gru.tlbSize());
        assertEquals(0, machine.registrationsOn(mm));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> gru.open(mm, BASE, BASE + LEN));
        assertEquals("GRU driver is deactivated", e.getMessage());
        assertEquals(0, machine.registrationsOn(mm));
        gru.deactivate(); // again: nothing to do
    }

    /**
     * mmu_notifier_synchronize: when deactivate returns, no free of its puts is still to come (in
     * OSGi such a late free would call into a stopped bundle). A reader holds the grace period, so
     * the frees cannot have run by themselves before it lets go.
     */
    @Test
    void deactivateWaitsForTheFreesItsPutsScheduled() throws Exception {
        List<MmStruct> mms = List.of(processWithBuffer().mm(), processWithBuffer().mm(), processWithBuffer().mm());
        List<Integer> before = mms.stream().map(machine::mmCount).toList();
        for (MmStruct mm : mms) {
            gru.open(mm, BASE, BASE + LEN);
        }
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch stopReading = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (AutoCloseable section = machine.readSection()) {
                reading.countDown();
                await(stopReading);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        reader.start();
        await(reading);
        AtomicReference<List<Integer>> whenDeactivated = new AtomicReference<>();
        Thread deactivate = new Thread(() -> {
            gru.deactivate();
            whenDeactivated.set(mms.stream().map(machine::mmCount).toList());
        });
        deactivate.start();
        deactivate.join(500); // returns early only if deactivate does not wait for the frees
        stopReading.countDown();
        deactivate.join();
        reader.join();
        assertEquals(before, whenDeactivated.get(),
                "a free_notifier (and its mmdrop) was still to come when deactivate returned");
    }

    /** Every open racing deactivation either finished before it (and was closed) or was refused. */
    @Test
    void opensRacingDeactivationLeaveNoContextBehind() throws Exception {
        TestProcess p = processWithBuffer();
        MmStruct mm = p.mm();
        RuntimeException refused = Refusals.refusalOfLoopRacing(() -> gru.open(mm, BASE, BASE + LEN), gru::deactivate);
        assertEquals("GRU driver is deactivated", refused.getMessage());
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, machine.registrationsOn(mm), "a context opened during deactivation kept the registration");
    }

    /** Under DS (the @Activate constructor) the instruction threads start by themselves; deactivate stops them. */
    @Test
    void activatedByDsTheInstructionThreadsWorkOnTheContextsUntilDeactivate() throws Exception {
        TestProcess p = processWithBuffer();
        MmStruct mm = p.mm();
        GruDriver ds = new GruDriver(machine.oracle(), machine.notifiers(),
                null, Map.of("instructionThreads", 1));
        try {
            ds.open(mm, BASE, BASE + LEN);
            Waits.until(() -> ds.counters().snapshot().accesses() > 0, Duration.ofSeconds(30),
                    "no instruction thread ran");
        } finally {
            ds.deactivate();
        }
        long accesses = ds.counters().snapshot().accesses();
        p.write(BASE, 1); // the process goes on; the device does not
        assertEquals(accesses, ds.counters().snapshot().accesses(), "an instruction thread outlived deactivate");
        assertEquals(0, machine.registrationsOn(mm));
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void aConfigurationChangeAppliesToTheRunningChipAndABadOneChangesNothing() {
        gru.modified((Map.of("tlbEntries", 4, "flushThreshold", 8,
                "instructionThreads", 2)));
        assertEquals(4, gru.tlbEntries());
        java.util.List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(GruDriver.class.getName());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                said.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try {
            gru.modified(Map.of("tlbEntries", "0x8", "instructionThreads", "17"));
            gru.modified(Map.of("tlbEntries", "many"));
        } finally {
            log.removeHandler(h);
        }
        assertEquals(4, gru.tlbEntries(), "a refused configuration resized the TLB");
        assertEquals(java.util.List.of(
                "WARNING org.mmunotifier.drivers.gru: instructionThreads='17' is out of range: 0..16; nothing changed",
                "WARNING org.mmunotifier.drivers.gru: tlbEntries='many' is not a whole number (decimal, or hex as"
                        + " 0x4000_0000); nothing changed"), said);
        gru.modified(Map.of("tlbEntries", "0x8"));
        assertEquals(8, gru.tlbEntries(), "hex is a number");
    }

    @Test
    void shrinkingTheTlbEvictsTheLeastRecentlyUsedEntries() {
        GruTlb tlb = new GruTlb(4);
        for (int i = 0; i < 4; i++) {
            tlb.insert(1, i * Addresses.PAGE_SIZE, new MappedFrame(i * Addresses.PAGE_SIZE, i, 0, true));
        }
        tlb.lookup(1, 0); // page 0 is now the most recently used
        tlb.resize(2);
        assertEquals(2, tlb.size());
        assertEquals(2, tlb.evictions());
        assertEquals(1, tlb.flushRange(1, 0, Addresses.PAGE_SIZE), "the most recently used entry was evicted");
    }
}
