package org.mmunotifier.drivers.kvm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;
import org.mmunotifier.core.internal.testing.DriverView;
import org.mmunotifier.testkit.TestConfigs;
import org.mmunotifier.core.internal.testing.Whiteboard;

/** KvmAttach: a VM for every new process, gone when the process exits. */
class KvmAttachTest {
    private final Machine machine = new Machine(512, PageLayout.BITS_64);
    private final KvmDriver kvm = new KvmDriver(machine.oracle(), 1);
    private final DriverView<Vm> driver = new DriverView<>(kvm::vms, Vm::mm, mm -> mm.notifiers().notifierCount());
    private final KvmAttach attach = attach(Map.of());

    @AfterEach
    void close() {
        kvm.deactivate();
        machine.close();
    }

    private KvmAttach attach(Map<String, Object> config) {
        return new KvmAttach(kvm, TestConfigs.of(KvmDriver.Config.class, config));
    }

    /** A process with the demo's memory layout, announced as the core's whiteboard does. */
    private Process spawn(KvmAttach listener) {
        return Whiteboard.spawn(machine, listener);
    }

    private List<Vm> vmsOf(Process p) {
        return driver.contextsOn(p.mm());
    }

    @Test
    void aNewProcessGetsARunningVmOverRegion0AndLosesItWhenItExits() {
        Process p = spawn(attach);
        Process other = spawn(attach);
        List<Vm> vms = vmsOf(p);
        assertEquals(1, vms.size());
        Vm vm = vms.get(0);
        assertEquals(new Memslot(0, 32, 0x4000_0000L), vm.memslot());
        assertEquals(1, vm.vcpuCount(), "the VM's vCPUs were not started");
        assertEquals(1, p.mm().notifiers().notifierCount());

        attach.exiting(p.pid(), p.mm());
        p.exit();
        assertEquals(List.of(), vmsOf(p));
        assertEquals(0, vm.vcpuCount());
        assertTrue(vm.isReleased());
        assertEquals(0, p.mm().notifiers().notifierCount());
        assertEquals(1, vmsOf(other).size(), "another process's VM went too");
        assertEquals(1, other.mm().notifiers().notifierCount());
    }

    @Test
    void exitDestroysEveryVmOfTheProcessAndToleratesOnesDestroyedAlready() {
        Process p = spawn(attach);
        Vm attached = vmsOf(p).get(0);
        Vm operators = kvm.createVm(p.mm(), 0x5000_0000L, 4); // e.g. kvm:create
        kvm.destroyVm(attached); // e.g. kvm:destroy, before the process exits
        attach.exiting(p.pid(), p.mm());
        assertEquals(List.of(), kvm.vms());
        assertTrue(operators.isReleased());
        assertEquals(0, p.mm().notifiers().notifierCount());
        attach.exiting(p.pid(), p.mm()); // told twice: nothing left to do
    }

    @Test
    void aProcessThatExitedBeforeTheVmCouldBeCreatedGetsNone() {
        Process p = Whiteboard.mapped(machine);
        p.exit();
        attach.spawned(p.pid(), p.mm()); // MmDeadException inside: tolerated
        assertEquals(List.of(), kvm.vms());
    }

    @Test
    void theConfiguredRegionIsAttached() {
        KvmAttach at = attach(Map.of("attachAddress", 0x6000_0000L, "attachPages", 8));
        Process p = spawn(at);
        assertEquals(new Memslot(0, 8, 0x6000_0000L), vmsOf(p).get(0).memslot());
    }

    @Test
    void withAttachOffNewProcessesGetNoVm() {
        KvmAttach off = attach(Map.of("attach", false));
        Process p = spawn(off);
        assertEquals(List.of(), kvm.vms());
        assertEquals(0, p.mm().notifiers().notifierCount());
    }

    /**
     * The driver's settings reach {@link org.mmunotifier.api.AttachRegion}, which refuses them naming the
     * setting (its checks are DeviceAttachTest's): here an address too high for the default 32 pages.
     */
    @Test
    void badAttachSettingsAreRefusedNamingTheSettingAndItsRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> attach(Map.of("attachAddress", Addresses.TASK_SIZE - Addresses.PAGE_SIZE)));
        assertEquals("attachAddress=0x7ffffffff000 is out of range: a page-aligned address in 0x0..0x7ffffffe0000"
                + " (for attachPages=32)", e.getMessage());
    }

    @Test
    void afterTheDriverIsDeactivatedASpawnIsRefusedAndNothingIsRegistered() {
        Whiteboard.assertSpawnRefusedOnceDeactivated(machine, attach, driver, kvm::deactivate,
                "KVM driver is deactivated");
    }

    /** The whiteboard's calls under the demo workload, which forks and exits children as it goes. */
    @Test
    void everyWorkloadProcessHasAVmWhileItLivesAndNoneAfter() throws Exception {
        Whiteboard whiteboard = new Whiteboard(attach, driver);
        whiteboard.run(machine, new Workload.Config(5, 2, 3, 2), 20_000, Duration.ofSeconds(30));
        whiteboard.assertOneContextPerProcessWhileItLived(3);
        assertEquals(List.of(), kvm.vms(), "a VM outlived its process");
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(0, machine.memory().usedCount());
    }
}
