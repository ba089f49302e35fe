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
import org.mmunotifier.testkit.AttachChecks;
import org.mmunotifier.testkit.AttachRecorder;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;

/** KvmAttach: a VM for every new process, gone when the process exits. */
class KvmAttachTest {
    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.kvm"));
    private final KvmDriver kvm = new KvmDriver(machine.oracle(), 1);
    private final KvmAttach attach = attach(Map.of());

    @AfterEach
    void close() {
        kvm.deactivate();
        machine.close();
    }

    private KvmAttach attach(Map<String, Object> config) {
        return new KvmAttach(kvm, (config));
    }

    /** A process with the demo's memory layout, announced to {@code listener} as the core's whiteboard does. */
    private TestProcess spawn(KvmAttach listener) {
        return machine.spawnDemoFor(listener);
    }

    private List<Vm> vmsOf(TestProcess p) {
        return AttachChecks.on(p.mm(), kvm.vms(), Vm::mm);
    }

    @Test
    void aNewProcessGetsARunningVmOverRegion0AndLosesItWhenItExits() {
        TestProcess p = spawn(attach);
        TestProcess other = spawn(attach);
        List<Vm> vms = vmsOf(p);
        assertEquals(1, vms.size());
        Vm vm = vms.get(0);
        assertEquals(new Memslot(0, 32, 0x4000_0000L), vm.memslot());
        assertEquals(1, vm.vcpuCount(), "the VM's vCPUs were not started");
        assertEquals(1, machine.registrationsOn(p.mm()));

        attach.exiting(p.pid(), p.mm());
        p.exit();
        assertEquals(List.of(), vmsOf(p));
        assertEquals(0, vm.vcpuCount());
        assertTrue(vm.isReleased());
        assertEquals(0, machine.registrationsOn(p.mm()));
        assertEquals(1, vmsOf(other).size(), "another process's VM went too");
        assertEquals(1, machine.registrationsOn(other.mm()));
    }

    @Test
    void exitDestroysEveryVmOfTheProcessAndToleratesOnesDestroyedAlready() {
        TestProcess p = spawn(attach);
        Vm attached = vmsOf(p).get(0);
        Vm operators = kvm.createVm(p.mm(), 0x5000_0000L, 4); // e.g. kvm:create
        kvm.destroyVm(attached); // e.g. kvm:destroy, before the process exits
        attach.exiting(p.pid(), p.mm());
        assertEquals(List.of(), kvm.vms());
        assertTrue(operators.isReleased());
        assertEquals(0, machine.registrationsOn(p.mm()));
        attach.exiting(p.pid(), p.mm()); // told twice: nothing left to do
    }

    @Test
    void aProcessThatExitedBeforeTheVmCouldBeCreatedGetsNone() {
        TestProcess p = machine.spawnDemo();
        p.exit();
        attach.spawned(p.pid(), p.mm()); // MmDeadException inside: tolerated
        assertEquals(List.of(), kvm.vms());
    }

    @Test
    void theConfiguredRegionIsAttached() {
        KvmAttach at = attach(Map.of("attachAddress", 0x6000_0000L, "attachPages", 8));
        TestProcess p = spawn(at);
        assertEquals(new Memslot(0, 8, 0x6000_0000L), vmsOf(p).get(0).memslot());
    }

    @Test
    void withAttachOffNewProcessesGetNoVm() {
        KvmAttach off = attach(Map.of("attach", false));
        TestProcess p = spawn(off);
        assertEquals(List.of(), kvm.vms());
        assertEquals(0, machine.registrationsOn(p.mm()));
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
        AttachChecks.assertSpawnRefusedOnceDeactivated(machine, attach, kvm::vms, kvm::deactivate,
                "KVM driver is deactivated");
    }

    /** The whiteboard's calls under the demo workload, which forks and exits children as it goes. */
    @Test
    void everyWorkloadProcessHasAVmWhileItLivesAndNoneAfter() throws Exception {
        AttachRecorder whiteboard = new AttachRecorder(attach, mm -> AttachChecks.on(mm, kvm.vms(), Vm::mm));
        machine.attach(whiteboard);
        machine.startWorkload(5, 2, 3, 20_000, Duration.ofSeconds(30)).join();
        whiteboard.assertOneContextPerProcessWhileItLived(3);
        assertEquals(List.of(), kvm.vms(), "a VM outlived its process");
        machine.assertCoherent();
        assertEquals(0, machine.framesInUse());
    }
}
