package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.itests.tiny.SlowActivator;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Drivers stopped at the worst moments: while a process they serve is exiting and their
 * {@code release} is running, and while a range invalidation is inside their
 * {@code invalidateRangeStart}. A driver built here makes those callbacks wait for the test; the
 * KVM driver races real exits.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TeardownRaceIT {
    private static final String BSN = "itests.slow.driver";
    private static final Duration JOIN = Duration.ofSeconds(20);

    @Inject
    private BundleContext context;

    @Inject
    private MachineControl machine;

    @Inject
    private NotifierRegistry registry;

    private final AtomicInteger overlap = new AtomicInteger();
    private final AtomicInteger late = new AtomicInteger();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch proceed = new CountDownLatch(1);

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Before
    public void shareLatches() {
        System.getProperties().put(SlowActivator.OVERLAP, overlap);
        System.getProperties().put(SlowActivator.LATE, late);
        System.getProperties().put(SlowActivator.ENTERED, entered);
        System.getProperties().put(SlowActivator.PROCEED, proceed);
    }

    @After
    public void nothingLeft() {
        assertEquals(0, registry.callsIntoStoppedBundles());
        assertEquals("violations: " + machine.recentViolations(), 0, machine.stats().violations());
    }

    private Bundle slowDriverOn(int pid) throws Exception {
        System.setProperty(SlowActivator.PID, Integer.toString(pid));
        Bundle b;
        try (InputStream jar = ItestSupport.activatorBundle(BSN + pid, SlowActivator.class,
                ItestSupport.API_IMPORT)) {
            b = context.installBundle("tiny:" + BSN + pid, jar);
        }
        b.start();
        return b;
    }

    @Test
    public void stoppedWhileItsReleaseRuns() throws Throwable {
        int pid = machine.spawn();
        Bundle driver = slowDriverOn(pid);
        Background exit = new Background("exit", () -> machine.kill(pid));
        assertTrue("release entered", entered.await(10, TimeUnit.SECONDS));
        Background stop = new Background("stop", driver::stop); // its unregister must wait for release
        Thread.sleep(100);
        proceed.countDown();
        stop.join(JOIN);
        exit.join(JOIN);
        assertEquals("a callback was still running in the driver when its unregister returned", 0, overlap.get());
        assertEquals(0, late.get());
        assertEquals(List.of(), registry.registrations().stream().filter(r -> r.bundleId() == driver.getBundleId())
                .toList());
        driver.uninstall();
    }

    @Test
    public void stoppedWhileARangeInvalidationIsInItsStart() throws Throwable {
        int pid = machine.spawn();
        Bundle driver = slowDriverOn(pid);
        Background unmap = new Background("munmap", () -> run("mmu:unmap " + pid + " 0x40000000 0x20000"));
        assertTrue("invalidateRangeStart entered", entered.await(10, TimeUnit.SECONDS));
        Background stop = new Background("stop", driver::stop);
        Thread.sleep(100);
        proceed.countDown();
        stop.join(JOIN);
        unmap.join(JOIN);
        assertEquals(0, overlap.get());
        assertEquals(0, late.get());
        assertEquals(List.of(), registry.registrations().stream().filter(r -> r.bundleId() == driver.getBundleId())
                .toList());
        machine.kill(pid);
        driver.uninstall();
    }

    @Test
    public void kvmStoppedWhileTheProcessesItServesExit() throws Throwable {
        Bundle kvm = ItestSupport.moduleBundle(context, "drivers.kvm");
        for (int round = 0; round < 10; round++) {
            List<Integer> pids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                pids.add(machine.spawn()); // KVM attaches a VM with running vCPUs to each
            }
            ItestSupport.waitUntil("KVM attached", ItestSupport.DEFAULT_TIMEOUT, () -> registry.registrations().stream()
                    .filter(r -> r.bundleId() == kvm.getBundleId()).count() >= 3);
            Background exits = new Background("exits", () -> {
                for (int pid : pids) {
                    machine.kill(pid);
                }
            });
            kvm.stop();
            exits.join(JOIN);
            assertEquals(List.of(), registry.registrations().stream().filter(r -> r.bundleId() == kvm.getBundleId())
                    .toList());
            assertEquals(List.of(), registry.forcedCleanups());
            kvm.start();
        }
        assertEquals(0, machine.stats().framesInUse());
    }

    private void run(String command) throws Exception {
        try (GogoShell shell = GogoShell.open(context)) {
            shell.execute(command);
        }
    }
}
