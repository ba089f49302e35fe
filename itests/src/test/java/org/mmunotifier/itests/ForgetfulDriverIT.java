package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.ForcedCleanup;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.itests.tiny.ForgetfulActivator;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * A driver bundle (built here) that registers an MMU notifier and an interval notifier and
 * forgets both when it stops. The core takes them back, says so in a warning naming the bundle,
 * and never calls into the stopped bundle again, even when the process then exits.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ForgetfulDriverIT {
    private static final String BSN = "itests.forgetful.driver";

    @Inject
    private BundleContext context;

    @Inject
    private MachineControl machine;

    @Inject
    private NotifierRegistry registry;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Test
    public void whatAStoppedDriverLeftRegisteredIsTakenBackWithAWarning() throws Exception {
        leftBehindIsTakenBack(BSN, false);
    }

    @Test
    public void aDriverThatLetGoOfTheCoreServicesIsCleanedUpWhenItStops() throws Exception {
        leftBehindIsTakenBack(BSN + ".ungot", true);
    }

    private void leftBehindIsTakenBack(String bsn, boolean unget) throws Exception {
        System.setProperty(ForgetfulActivator.UNGET, Boolean.toString(unget));
        AtomicInteger late = new AtomicInteger();
        System.getProperties().put(ForgetfulActivator.LATE, late);
        int pid = machine.spawn();
        System.setProperty(ForgetfulActivator.PID, Integer.toString(pid));
        LogCapture log = LogCapture.of("org.mmunotifier.core.internal.osgi.BundleOwners", false);
        machine.startWorkload(3, 2, 3);
        try {
            Bundle driver;
            try (InputStream jar = ItestSupport.activatorBundle(bsn, ForgetfulActivator.class,
                    ItestSupport.API_IMPORT)) {
                driver = context.installBundle("tiny:" + bsn, jar);
            }
            driver.start();
            long id = driver.getBundleId();
            // Resident pages: the workload's reclaim ages and unmaps them, calling into the driver
            // while it stops; calls up to the cleanup are legitimate, none may follow it.
            Processes processes = context.getService(context.getServiceReference(Processes.class));
            processes.mm(pid).faultRange(ForgetfulActivator.REGION, ForgetfulActivator.REGION + 32 * 4096, true);
            assertEquals("an MMU notifier and an interval subscription", 2,
                    registry.registrations().stream().filter(r -> r.bundleId() == id && r.mmId() >= 0).count());

            driver.stop();
            // Until stop returned the bundle was STOPPING and calls into it (reclaim's, say) were
            // legitimate; from here on none may arrive.
            late.set(0);

            assertEquals(List.of(), registry.registrations().stream().filter(r -> r.bundleId() == id).toList());
            List<ForcedCleanup> cleanups = registry.forcedCleanups().stream().filter(c -> c.bundleId() == id).toList();
            assertEquals(1, cleanups.size());
            assertEquals(cleanups.toString(), 2, cleanups.get(0).leftBehind().size());
            assertTrue(cleanups.get(0).bundle(), cleanups.get(0).bundle().startsWith(bsn));
            List<String> warnings = log.warnings();
            assertTrue("a warning naming the bundle: " + warnings,
                    warnings.stream().anyMatch(w -> w.contains(bsn) && w.contains("took them back")));

            machine.kill(pid); // release + unmap of everything: nothing of the stopped bundle may run
            assertEquals("callbacks that entered the stopped bundle", 0, late.get());
            assertEquals(0, registry.callsIntoStoppedBundles());
            driver.uninstall();
        } finally {
            log.close();
            machine.stopWorkload();
        }
        assertEquals("violations: " + machine.recentViolations(), 0, machine.stats().violations());
        assertEquals(0, machine.stats().framesInUse());
    }

    @Test
    public void aStoppedBundleCannotRegister() throws Exception {
        System.setProperty(ForgetfulActivator.UNGET, "false");
        Bundle driver;
        int pid = machine.spawn();
        System.setProperty(ForgetfulActivator.PID, Integer.toString(pid));
        System.getProperties().put(ForgetfulActivator.LATE, new AtomicInteger());
        try (InputStream jar = ItestSupport.activatorBundle(BSN + ".second", ForgetfulActivator.class,
                ItestSupport.API_IMPORT)) {
            driver = context.installBundle("tiny:" + BSN + ".second", jar);
        }
        driver.start();
        driver.stop();
        long id = driver.getBundleId();
        // Its class, loaded by the stopped bundle: registering it now would link code nobody will unregister.
        Class<?> type = driver.loadClass(ForgetfulActivator.class.getName());
        Object notifier = type.getConstructor().newInstance();
        Processes processes = context.getService(context.getServiceReference(Processes.class));
        try {
            processes.mm(pid).register((org.mmunotifier.api.MmuNotifier) notifier);
            org.junit.Assert.fail("a stopped bundle's notifier was registered");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(BSN + ".second") && e.getMessage().contains("not running"));
        }
        assertEquals(List.of(), registry.registrations().stream().filter(r -> r.bundleId() == id).toList());
        machine.kill(pid);
        driver.uninstall();
    }
}
