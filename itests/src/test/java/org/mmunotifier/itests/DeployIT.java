package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.mmunotifier.itests.GogoShell.getLong;
import static org.mmunotifier.itests.GogoShell.list;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.ForcedCleanup;
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
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Hot deployment under load: the KVM driver dropped into the FileInstall folder while the demo workload runs, then
 * removed again. The driver attaches to new processes while it is there; when its jar goes, nothing of it is left
 * registered, the core never calls into it after it stopped, and the machine stays coherent.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DeployIT {

    private static final String KVM = ItestSupport.symbolicName("drivers.kvm");
    private static final String KVM_DRIVER = "org.mmunotifier.drivers.kvm.internal.KvmDriver";
    private static final String KVM_ATTACH = "org.mmunotifier.drivers.kvm.internal.KvmAttach";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return ItestSupport.frameworkWithout(List.of("drivers.kvm"));
    }

    @Test
    public void kvmDroppedInUnderLoadAttachesAndLeavesNothingBehindWhenRemoved() throws Exception {
        MachineControl control = ItestSupport.waitForService(context, MachineControl.class);
        NotifierRegistry registry = ItestSupport.waitForService(context, NotifierRegistry.class);
        ServiceComponentRuntime scr = ItestSupport.waitForService(context, ServiceComponentRuntime.class);
        Processes processes = ItestSupport.waitForService(context, Processes.class);
        MmuNotifiers notifiers = ItestSupport.waitForService(context, MmuNotifiers.class);
        assertFalse("drivers.kvm is left out of this framework", ItestSupport.findBundle(context, KVM).isPresent());

        control.startWorkload(1, 2, 3);
        boolean running = true;
        try {
            // Deploy: staged next to the watched folder, then moved in, so FileInstall never sees half a jar.
            Path folder = ItestSupport.watchedFolder(context);
            Path staged = Files.createTempFile(folder.getParent(), "drivers.kvm", ".jar.tmp");
            Files.copy(ItestSupport.bundleJar("drivers.kvm"), staged, StandardCopyOption.REPLACE_EXISTING);
            Path dropped = Files.move(staged, folder.resolve("drivers.kvm.jar"), StandardCopyOption.ATOMIC_MOVE);

            ItestSupport.waitUntil(KVM + " installed from " + dropped, WAIT,
                    () -> ItestSupport.findBundle(context, KVM).isPresent());
            Bundle kvm = ItestSupport.bundleBySymbolicName(context, KVM);
            assertEquals(dropped.toFile().toURI().toString(), kvm.getLocation());
            ItestSupport.waitUntil(KVM + " ACTIVE", WAIT, () -> kvm.getState() == Bundle.ACTIVE);
            ItestSupport.waitUntil("the components of " + KVM + " satisfied and the driver and attach ACTIVE", WAIT,
                    () -> ItestSupport.componentProblems(scr, kvm).isEmpty()
                            && state(scr, kvm, KVM_DRIVER) == ComponentConfigurationDTO.ACTIVE
                            && state(scr, kvm, KVM_ATTACH) == ComponentConfigurationDTO.ACTIVE);
            long kvmId = kvm.getBundleId();

            // A new process gets a VM: the kvm bundle holds a registration on its mm.
            int pid = control.spawn();
            long mm = processes.mm(pid).id();
            assertTrue("the kvm bundle [" + kvmId + "] holds a registration on mm " + mm + " of process " + pid + ": "
                    + registry.registrations(),
                    registry.registrations().stream().anyMatch(r -> r.bundleId() == kvmId && r.mmId() == mm));
            assertTrue("the workload still runs", control.stats().workloadRunning());

            // Undeploy under load.
            Files.delete(dropped);
            ItestSupport.waitUntil(KVM + " UNINSTALLED after its jar was removed", WAIT,
                    () -> kvm.getState() == Bundle.UNINSTALLED);
            notifiers.synchronize(); // callbacks in flight and deferred frees have run

            assertTrue("registrations of the uninstalled kvm bundle [" + kvmId + "] left: " + registry.registrations(),
                    registry.registrations().stream().noneMatch(r -> r.bundleId() == kvmId));
            List<ForcedCleanup> taken = registry.forcedCleanups().stream().filter(c -> c.bundleId() == kvmId)
                    .collect(Collectors.toList());
            assertTrue("the kvm driver unregisters its VMs itself when it stops; the core had to take back: " + taken,
                    taken.isEmpty());
            assertEquals("calls into stopped bundles", 0L, registry.callsIntoStoppedBundles());
            MachineStats during = control.stats();
            assertEquals("violations: " + control.recentViolations(), 0L, during.violations());
            assertTrue("the workload kept running: " + during, during.workloadRunning() && during.workloadOps() > 0);
            assertTrue("process " + pid + " is still there", processes.pids().contains(pid));

            // Stop the load: its processes exit, ours stays.
            long ops = control.stopWorkload();
            running = false;
            assertTrue("the workload did something", ops > 0);
            notifiers.synchronize();
            MachineStats after = control.stats();
            assertEquals("violations: " + control.recentViolations(), 0L, after.violations());
            assertEquals(0L, after.callsIntoStoppedBundles());
            assertFalse(after.workloadRunning());
            assertEquals("only our process is left: " + processes.pids(), List.of(pid), processes.pids());
            assertEquals(1, after.processes());

            // The frames in use are exactly what the remaining process holds (the RDMA and GRU drivers still fault
            // its regions in, so wait until the count settles at the resident pages).
            try (GogoShell shell = GogoShell.open(context)) {
                ItestSupport.waitUntil("frames in use == resident pages of the remaining processes", WAIT, () -> {
                    long resident = residentPages(shell);
                    long inUse = control.stats().framesInUse();
                    return inUse == resident && residentPages(shell) == resident;
                });
            }
            control.kill(pid);
            notifiers.synchronize();
            MachineStats end = control.stats();
            assertEquals(0, end.processes());
            assertEquals("no frame leaked: " + end, 0L, end.framesInUse());
            assertEquals(0L, end.violations());
            assertEquals(0L, end.callsIntoStoppedBundles());
        } finally {
            if (running) {
                control.stopWorkload();
            }
        }
    }

    private static long residentPages(GogoShell shell) {
        try {
            return list(shell.execute("mmu:ps")).stream().mapToLong(p -> getLong(p, "residentPages")).sum();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static int state(ServiceComponentRuntime scr, Bundle bundle, String component) {
        ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(bundle, component);
        if (d == null) {
            return -1;
        }
        return scr.getComponentConfigurationDTOs(d).stream().mapToInt(c -> c.state).findFirst().orElse(-1);
    }
}
