package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import java.util.logging.LogRecord;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.itests.tiny.faulty.FaultyDriver;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The core survives any driver, as a user meets it: a driver bundle (built here, see {@link FaultyDriver}) that
 * throws, overflows its stack, blocks for 30 s, blocks for ever, or unregisters itself from {@code release} while
 * processes exit, each dropped into a machine running the demo workload with KVM, RDMA and GRU attached.
 *
 * <p>For each: the workload and the built-in drivers keep going while the faulty driver misbehaves; the fault or
 * stall is reported against the faulty bundle ({@code bsn version [id]}) with the callback it was in; stopping the
 * bundle is bounded (the give-up time plus a margin), leaves nothing of it registered and no call into it; the
 * workload stops within its bound and, once a stuck callback is let go, every frame is free again. The blocking
 * driver blocks the munmap of one process of the test's own (spawned outside the workload, so that the workload's
 * threads do not queue for that process's {@code mmap_lock} behind it).
 *
 * <p>The watchdog runs with its default 1 s stall threshold (a shorter one reports legitimately slow callbacks on
 * a loaded 2-core machine, e.g. an RDMA invalidation waiting for DMA to drain) and a 4 s give-up time (PID
 * {@value ItestSupport#WATCHDOG_PID}, set through ConfigAdmin), so the class takes well under a minute.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FaultyDriverIT {
    private static final long STALL_MILLIS = 1_000;
    private static final long GIVE_UP_MILLIS = 4_000;
    /** How long stopping the faulty bundle, or the workload, may take. */
    private static final Duration BOUND = Duration.ofMillis(GIVE_UP_MILLIS + 3_000);
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** How long the workload and the drivers get to show they are moving (they do within a few 100 ms). */
    private static final Duration PROGRESS = Duration.ofSeconds(3);
    private static final String BSN = "itests.faulty.";
    private static final String NOTIFIER_FAULTS_LOGGER = "org.mmunotifier.core.internal.notifier.NotifierFaults";
    /** What the blocked munmap removes: the demo layout's first region, all its 32 pages. */
    private static final String UNMAPPED = "0x40000000 0x20000";
    private static final String UNMAP_OPERATION = "invalidate_range_start UNMAP [0x40000000, 0x40020000)";

    @Inject
    private BundleContext context;

    @Inject
    private MachineControl machine;

    @Inject
    private NotifierRegistry registry;

    @Inject
    private Processes processes;

    private GogoShell shell;
    private final List<Integer> spawned = new ArrayList<>();
    /** When a built-in driver did not move on, and what its threads were doing. */
    private final List<String> driversStoodStill = new ArrayList<>();

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Before
    public void fastWatchdogAndLoad() throws Exception {
        ItestSupport.configureWatchdog(context, STALL_MILLIS, GIVE_UP_MILLIS);
        for (String scope : ItestSupport.DRIVER_SCOPES) {
            GogoShell.waitForScope(context, scope);
        }
        shell = GogoShell.open(context);
        machine.startWorkload(11, 2, 4);
        ItestSupport.awaitProgress("before any faulty driver", machine, shell, WAIT);
        driversStoodStill.clear();
    }

    /**
     * The workload must move on at once; a driver standing still is recorded and failed last, in {@link #cleanUp},
     * so that the rest of a case (the stop, the release, the frames) is still checked when one does.
     */
    private void awaitProgress(String during) {
        List<String> still = ItestSupport.standingStill(machine, shell, PROGRESS);
        if (still.isEmpty()) {
            return;
        }
        if (still.stream().anyMatch(x -> x.startsWith("workload "))) {
            throw new AssertionError("no progress in " + PROGRESS.toMillis() + " ms " + during + ": " + still);
        }
        driversStoodStill.add(during + ": " + still);
    }

    @After
    public void cleanUp() {
        System.clearProperty(FaultyDriver.VICTIM);
        if (machine.stats().workloadRunning()) {
            machine.stopWorkload();
        }
        for (int pid : spawned) {
            if (processes.pids().contains(pid)) {
                machine.kill(pid);
            }
        }
        if (shell != null) {
            shell.close();
        }
        // Product bug (drivers.rdma, drivers.gru): their device threads (rdma-dma*, gru-insn*) are shared by every
        // process, and one that picks the blocked process waits without bound: RDMA's in readBegin for the
        // invalidation that does not end, or in faultRange for the mmap_lock the blocked munmap holds for write;
        // GRU's in GruMmState.awaitIdle for that invalidation (or in faultRange), inside the context's monitor,
        // where the other instruction thread then queues. One process wedged by another driver's stuck callback
        // stops RDMA and GRU for every process.
        assertEquals("drivers stood still for every process", List.of(), driversStoodStill);
    }

    @Test
    public void throwingInvalidateRangeStart() throws Throwable {
        try (LogCapture log = LogCapture.of(NOTIFIER_FAULTS_LOGGER, true)) {
            List<LogRecord> logged = log.records();
            Bundle driver = install(FaultyDriver.THROW);
            DriverFault fault = awaitFault(driver, "invalidate_range_start");
            assertTrue(fault.toString(), fault.message().contains("java.lang.IllegalStateException: faulty driver refuses"));
            awaitProgress("while " + nameOf(driver) + " throws from every invalidate_range_start");
            assertTrue("it keeps throwing: " + registry.faultCount(),
                    registry.faults().stream().filter(f -> f.bundleId() == driver.getBundleId()).count() > 10);
            // Rate-limited: a bundle's first three faults are logged with the top of their stack, later ones only
            // counted, whatever number of registrations it has.
            long withStack = logged.stream().filter(r -> r.getMessage() != null && r.getMessage().contains(nameOf(driver))
                    && r.getMessage().contains("\n\tat ")).count();
            assertEquals("faults of " + nameOf(driver) + " logged with a stack", 3, withStack);
            assertTrue("the log says that later faults are only counted", logged.stream().anyMatch(r ->
                    r.getMessage() != null && r.getMessage().startsWith("further faults of " + nameOf(driver))));
            stopAndCheck(driver, false);
        }
    }

    @Test
    public void stackOverflowInAgePage() throws Throwable {
        // Quiet: each logged StackOverflowError is a thousand lines of stack.
        try (LogCapture log = LogCapture.of(NOTIFIER_FAULTS_LOGGER, true)) {
            Bundle driver = install(FaultyDriver.OVERFLOW);
            DriverFault fault = awaitFault(driver, "age_page");
            assertTrue(fault.toString(), fault.message().startsWith("threw java.lang.StackOverflowError"));
            awaitProgress("while " + nameOf(driver) + " overflows its stack in age_page");
            stopAndCheck(driver, false);
        }
    }

    /** The workload and the other drivers are watched while it sleeps; the bundle is stopped after that. */
    @Test
    public void invalidateRangeStartSleeping30Seconds() throws Throwable {
        blockedUnmap(FaultyDriver.SLEEP, false);
    }

    /**
     * Stopped as soon as the stall is reported, so that its unregister does wait for the stuck callback (then gives
     * up) and the stop itself is reported as a stall; the workload and the other drivers are watched after that.
     */
    @Test
    public void invalidateRangeStartStuckForEver() throws Throwable {
        blockedUnmap(FaultyDriver.STUCK, true);
    }

    /**
     * release unregisters the notifier itself while several processes exit at once (and the workload's children
     * exit all the time): no deadlock, no fault, no stall, and each registration is gone with its process.
     */
    @Test
    public void unregisteringItselfFromRelease() throws Throwable {
        long faultsBefore = registry.faultCount();
        long stallsBefore = registry.stallCount();
        Bundle driver = install(FaultyDriver.SELF_UNREGISTER);
        long id = driver.getBundleId();
        for (int round = 0; round < 3; round++) {
            List<Integer> pids = new ArrayList<>();
            List<Long> mms = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int pid = machine.spawn();
                pids.add(pid);
                mms.add(processes.mm(pid).id());
            }
            ItestSupport.waitUntil(nameOf(driver) + " registered on " + mms, WAIT, () -> registry.registrations()
                    .stream().filter(r -> r.bundleId() == id && mms.contains(r.mmId())).count() == mms.size());
            CountDownLatch go = new CountDownLatch(1);
            List<Background> exits = new ArrayList<>();
            for (int pid : pids) {
                exits.add(new Background("exit-" + pid, () -> {
                    go.await();
                    machine.kill(pid);
                }));
            }
            go.countDown();
            for (Background exit : exits) {
                exit.join(WAIT); // no deadlock
            }
            assertEquals("registrations left on the exited processes", List.of(), registry.registrations().stream()
                    .filter(r -> r.bundleId() == id && mms.contains(r.mmId())).toList());
        }
        awaitProgress("after processes exited under " + nameOf(driver));
        stopAndCheck(driver, false);
        assertEquals("faults: " + registry.faults(), faultsBefore, registry.faultCount());
        assertEquals("stalls: " + registry.stalls(), stallsBefore, registry.stallCount());
    }

    // ---- the blocking cases ------------------------------------------------------------------------------------

    /**
     * A process of the test's own whose munmap the faulty driver blocks in invalidate_range_start: reported as a
     * stall of the driver while the workload and the other drivers go on; the bundle's stop gives up on it in
     * bounded time and says so; once let go, the munmap finishes and the process exits cleanly.
     */
    private void blockedUnmap(String mode, boolean stopAtOnce) throws Throwable {
        System.setProperty(FaultyDriver.VICTIM, "-1"); // no process yet: the workload's are never blocked
        Bundle driver = install(mode);
        long id = driver.getBundleId();
        Runnable release = releaseOf(driver);
        int victim = machine.spawn();
        spawned.add(victim);
        long victimMm = processes.mm(victim).id();
        ItestSupport.waitUntil(nameOf(driver) + " registered on mm " + victimMm, WAIT, () -> registry.registrations()
                .stream().anyMatch(r -> r.bundleId() == id && r.mmId() == victimMm));
        System.setProperty(FaultyDriver.VICTIM, Integer.toString(victim));
        Background unmap = new Background("faulty-unmap-" + victim, () -> {
            try (GogoShell own = GogoShell.open(context)) {
                own.execute("mmu:unmap " + victim + " " + UNMAPPED);
            }
        });
        try {
            Stall stall = awaitStall(s -> s.kind() == Stall.Kind.CALLBACK && s.bundleId() == id);
            assertEquals(stall.toString(), nameOf(driver), stall.bundle());
            assertTrue(stall.toString(), stall.operation().startsWith(UNMAP_OPERATION));
            assertEquals(stall.toString(), victimMm, stall.mmId());
            // Gogo runs the command on a pipe thread of its own, named after the command line.
            assertTrue(stall.toString(), stall.thread().contains("mmu:unmap " + victim + " "));
            assertTrue(stall.toString(), stall.ongoing());
            assertTrue(stall.toString(), stall.notifier().contains("faulty " + mode + " notifier of pid " + victim));
            assertTrue("the stuck thread's stack: " + stall.stack(),
                    stall.stack().stream().anyMatch(f -> f.contains(FaultyDriver.class.getName())));

            if (!stopAtOnce) {
                awaitProgress("while " + nameOf(driver) + " blocks the munmap of pid " + victim);
            }
            stopAndCheck(driver, true); // the workload and the drivers are watched after the stop too
            assertTrue("the munmap is still blocked in the stopped driver", unmap.isAlive());

            // The core gave up waiting for the stuck callback, and said so.
            Stall gaveUp = awaitStall(s -> s.kind() == Stall.Kind.GRACE_PERIOD && s.operation().contains(nameOf(driver))
                    && s.outcome().startsWith("gave up after"));
            assertTrue(gaveUp.toString(), gaveUp.bundle().startsWith("unregister of notifier faulty " + mode));
            Stall after = registry.stalls().stream().filter(s -> s.id() == stall.id()).findFirst().orElseThrow();
            assertTrue(after.toString(), after.ongoing());
            assertTrue(after.toString(), after.outcome().contains("a grace period gave up waiting for it"));
            if (stopAtOnce) {
                Stall stop = awaitStall(s -> s.kind() == Stall.Kind.STOP && s.bundleId() == id);
                assertEquals(stop.toString(), nameOf(driver), stop.bundle());
                assertFalse(stop.toString(), stop.ongoing());
            }
        } finally {
            release.run();
        }
        unmap.join(WAIT);
        ItestSupport.waitUntil("the stall of " + nameOf(driver) + " ended", WAIT, () -> registry.stalls().stream()
                .filter(s -> s.kind() == Stall.Kind.CALLBACK && s.bundleId() == id).noneMatch(Stall::ongoing));
        assertEquals("calls into the stopped driver once its stuck callback returned", 0,
                registry.callsIntoStoppedBundles());
        machine.kill(victim);
        assertMachineClean();
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private Bundle install(String mode) throws Exception {
        String bsn = BSN + mode;
        Bundle b;
        try (InputStream jar = ItestSupport.faultyDriver(bsn, mode)) {
            b = context.installBundle("tiny:" + bsn, jar);
        }
        b.start();
        long id = b.getBundleId();
        ItestSupport.waitUntil(bsn + " attached to a process", WAIT,
                () -> registry.registrations().stream().anyMatch(r -> r.bundleId() == id));
        return b;
    }

    /** How the core names a bundle: {@code bsn version [id]}. */
    private static String nameOf(Bundle b) {
        return b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "]";
    }

    private Runnable releaseOf(Bundle driver) throws Exception {
        List<ServiceReference<Runnable>> refs = new ArrayList<>(context.getServiceReferences(Runnable.class,
                "(&(" + FaultyDriver.RELEASE + "=*)(service.bundleid=" + driver.getBundleId() + "))"));
        assertEquals("release services of " + nameOf(driver), 1, refs.size());
        return context.getService(refs.get(0)); // kept after the stop: the release must still work then
    }

    private DriverFault awaitFault(Bundle driver, String callback) {
        long id = driver.getBundleId();
        ItestSupport.waitUntil(callback + " fault of " + nameOf(driver), WAIT, () -> registry.faults().stream()
                .anyMatch(f -> f.bundleId() == id && f.callback().equals(callback)));
        DriverFault f = registry.faults().stream().filter(x -> x.bundleId() == id && x.callback().equals(callback))
                .reduce((a, b) -> b).orElseThrow();
        assertEquals(f.toString(), nameOf(driver), f.bundle());
        assertTrue(f.toString(), f.notifier().startsWith("faulty "));
        assertTrue(f.toString(), f.mmId() >= 0);
        assertTrue(f.toString(), f.faultsOfRegistration() >= 1);
        return f;
    }

    private Stall awaitStall(Predicate<Stall> which) {
        try {
            ItestSupport.waitUntil("a matching stall", WAIT, () -> registry.stalls().stream().anyMatch(which));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; stalls: " + registry.stalls(), e);
        }
        return registry.stalls().stream().filter(which).findFirst().orElseThrow();
    }

    /**
     * Stops the faulty bundle within {@link #BOUND}; nothing of it stays registered, nothing calls into it, the
     * workload and the other drivers go on; then the workload stops within the bound too, and the bundle is
     * uninstalled. Unless a thread is still {@code stuck} in the driver, every frame is then free.
     */
    private void stopAndCheck(Bundle driver, boolean stuck) {
        long id = driver.getBundleId();
        long t0 = System.nanoTime();
        try {
            driver.stop();
        } catch (Exception e) {
            throw new AssertionError("stopping " + nameOf(driver) + " failed", e);
        }
        long stopMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("FaultyDriverIT: stopping " + nameOf(driver) + " took " + stopMillis + " ms");
        assertTrue("stopping " + nameOf(driver) + " took " + stopMillis + " ms", stopMillis < BOUND.toMillis());
        assertEquals(List.of(), registry.registrations().stream().filter(r -> r.bundleId() == id).toList());
        assertEquals(0, registry.callsIntoStoppedBundles());
        awaitProgress("after " + nameOf(driver) + " stopped");

        t0 = System.nanoTime();
        machine.stopWorkload();
        long workloadMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("FaultyDriverIT: stopping the workload took " + workloadMillis + " ms");
        assertTrue("stopping the workload took " + workloadMillis + " ms", workloadMillis < BOUND.toMillis());
        assertEquals(0, registry.callsIntoStoppedBundles());
        try {
            driver.uninstall();
        } catch (Exception e) {
            throw new AssertionError("uninstalling " + nameOf(driver) + " failed", e);
        }
        if (!stuck) {
            assertMachineClean();
        }
    }

    private void assertMachineClean() {
        for (int pid : spawned) {
            if (processes.pids().contains(pid)) {
                machine.kill(pid);
            }
        }
        spawned.clear();
        assertEquals("violations: " + machine.recentViolations(), 0, machine.stats().violations());
        assertEquals(0, registry.callsIntoStoppedBundles());
        ItestSupport.waitUntil("every frame free; in use: " + machine.stats().framesInUse(), WAIT,
                () -> machine.stats().framesInUse() == 0);
    }


}
