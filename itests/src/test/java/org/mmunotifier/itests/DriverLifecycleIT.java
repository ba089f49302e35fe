package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Invariant 11 on a real framework: each driver stopped, restarted, updated, and uninstalled and
 * reinstalled while the demo workload runs over processes it is attached to. After each: no
 * coherence violation, no call into a stopped bundle, nothing of the driver left registered, and
 * nothing the core had to take back (these drivers clean up after themselves).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DriverLifecycleIT {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    private BundleContext context;

    @Inject
    private MachineControl machine;

    @Inject
    private NotifierRegistry registry;

    @Inject
    private Processes processes;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Before
    public void startWorkload() {
        machine.startWorkload(7, 2, 4);
    }

    private final List<Integer> spawned = new ArrayList<>();

    @After
    public void stopWorkload() {
        machine.stopWorkload();
        for (int pid : spawned) {
            machine.kill(pid);
        }
        MachineStats s = machine.stats();
        assertEquals("violations: " + machine.recentViolations(), 0, s.violations());
        assertEquals(0, s.callsIntoStoppedBundles());
        assertEquals("frames still in use after every process exited", 0, s.framesInUse());
    }

    @Test
    public void eachDriverStoppedAndRestartedUnderLoad() throws Exception {
        for (String module : ItestSupport.DRIVERS) {
            Bundle b = ItestSupport.moduleBundle(context, module);
            for (int round = 0; round < 3; round++) {
                awaitAttached(b);
                b.stop();
                assertNothingLeft(b);
                b.start();
            }
            awaitAttached(b);
        }
    }

    @Test
    public void eachDriverUpdatedUnderLoad() throws Exception {
        for (String module : ItestSupport.DRIVERS) {
            Bundle b = ItestSupport.moduleBundle(context, module);
            awaitAttached(b);
            try (InputStream jar = Files.newInputStream(ItestSupport.bundleJar(module))) {
                b.update(jar); // stops it, swaps the revision, starts it again
            }
            refresh(b); // the old revision's class loader goes away here
            assertEquals(Bundle.ACTIVE, b.getState());
            awaitAttached(b);
            b.stop();
            assertNothingLeft(b);
            b.start();
        }
    }

    @Test
    public void eachDriverUninstalledAndReinstalledUnderLoad() throws Exception {
        for (String module : ItestSupport.DRIVERS) {
            Bundle b = ItestSupport.moduleBundle(context, module);
            awaitAttached(b);
            b.uninstall();
            assertNothingLeft(b);
            refresh(b);
            Bundle again = context.installBundle(ItestSupport.bundleLocation(module));
            again.start();
            awaitAttached(again);
        }
    }

    /** The driver attaches to a new process: it holds a registration on that process's mm. */
    private void awaitAttached(Bundle b) {
        int pid = machine.spawn();
        spawned.add(pid);
        long mm = processes.mm(pid).id();
        ItestSupport.waitUntil(b.getSymbolicName() + " holds a registration on mm " + mm, WAIT, () -> registry
                .registrations().stream().anyMatch(r -> r.bundleId() == b.getBundleId() && r.mmId() == mm));
    }

    private void assertNothingLeft(Bundle b) {
        assertEquals(List.of(), registry.registrations().stream().filter(r -> r.bundleId() == b.getBundleId()).toList());
        assertEquals("the core had to clean up after " + b.getSymbolicName(), List.of(),
                registry.forcedCleanups().stream().filter(c -> c.bundleId() == b.getBundleId()).toList());
        assertEquals(0, registry.callsIntoStoppedBundles());
        assertEquals("violations: " + machine.recentViolations(), 0, machine.stats().violations());
    }

    private void refresh(Bundle b) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b), e -> done.countDown());
        assertTrue("refresh finished", done.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
}
