package org.mmunotifier.drivers.kvm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.testkit.Refusals.refused;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.InvalidRangeException;
import org.mmunotifier.api.NoSuchProcessException;
import org.mmunotifier.api.Processes;
import org.mmunotifier.testkit.ShellChecks;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;

/** The kvm shell scope against the real memory manager. */
class KvmCommandsTest {
    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.kvm"));
    private final KvmDriver kvm = new KvmDriver(machine.oracle(), 1);
    private final Processes processes = machine.processes();
    private final KvmCommands commands = commands(Map.of());
    private final TestProcess p = machine.spawnDemo();

    /** The state of a driver with no context anywhere and no registration on {@code p}. */
    private static final List<?> NOTHING = List.of(List.of(), 0);

    /** What a refused command must leave as it was: the VMs, and the registrations on {@code p}. */
    private final Supplier<List<?>> state = () -> List.of(List.copyOf(kvm.vms()), machine.registrationsOn(p.mm()));

    private KvmCommands commands(Map<String, Object> config) {
        return new KvmCommands(kvm, processes, (config));
    }

    @AfterEach
    void close() {
        kvm.deactivate();
        machine.close();
    }

    @Test
    void createWithoutAnAddressUsesTheAttachSettingsAndRunsTheVm() {
        VmInfo vm = commands.create(p.pid());
        assertEquals(1, vm.id());
        assertEquals(p.mm().id(), vm.mm());
        assertEquals("0x40000000", vm.hva());
        assertEquals(32, vm.pages());
        assertEquals(1, vm.vcpus());
        assertFalse(vm.released());
        assertSame(p.mm(), kvm.vm(1).mm());
        assertEquals(1, machine.registrationsOn(p.mm()));
    }

    @Test
    void createAtAnAddressTakesHexOrDecimalAndOptionallyPages() {
        VmInfo a = commands.create(p.pid(), "0x5000_0000", 8);
        assertEquals(new Memslot(0, 8, 0x5000_0000L), kvm.vm(a.id()).memslot());
        assertEquals("0x50000000", a.hva());
        assertEquals(8, a.pages());
        VmInfo b = commands.create(p.pid(), "1610612736");
        assertEquals(new Memslot(0, 32, 0x6000_0000L), kvm.vm(b.id()).memslot());
        assertEquals(2, machine.registrationsOn(p.mm()));
    }

    @Test
    void vmsListsEveryVmByIdAndDestroyRemovesOne() {
        TestProcess q = machine.spawnDemo();
        commands.create(p.pid());
        commands.create(q.pid(), "0x7000_0000", 4);
        List<VmInfo> vms = commands.vms();
        assertEquals(List.of(1, 2), vms.stream().map(VmInfo::id).toList());
        assertEquals(List.of(p.mm().id(), q.mm().id()), vms.stream().map(VmInfo::mm).toList());
        assertEquals(List.of("0x40000000", "0x70000000"), vms.stream().map(VmInfo::hva).toList());

        VmInfo gone = commands.destroy(1);
        assertEquals(1, gone.id());
        assertTrue(gone.released());
        assertEquals(0, gone.vcpus());
        assertEquals(0, gone.mapped());
        assertEquals(List.of(2), commands.vms().stream().map(VmInfo::id).toList());
        assertEquals(0, machine.registrationsOn(p.mm()));
        assertEquals(1, machine.registrationsOn(q.mm()));
    }

    @Test
    void vmsShowsWhatTheGuestMapped() {
        Vm vm = kvm.createVm(p.mm(), 0x4000_0000L, 32); // no vCPUs: only the accesses below
        vm.guestAccess(0, Vm.GUEST_WRITE, 5);
        vm.guestAccess(1, Vm.GUEST_READ, 0);
        assertEquals(List.of(new VmInfo(vm.id(), p.mm().id(), "0x40000000", 32, 0, 2, false)), commands.vms());
    }

    @Test
    void countersAreTheDriversCounters() {
        Vm vm = kvm.createVm(p.mm(), 0x4000_0000L, 32);
        vm.guestAccess(0, Vm.GUEST_WRITE, 5);
        ShellChecks.assertCountersFollowOneWriteAndItsUnmap(commands::counters,
                () -> p.munmap(0x4000_0000L, 32 * 4096L));
    }

    @Test
    void badInputIsRefusedWithAClearMessageAndChangesNothing() {
        assertEquals(NOTHING, state.get());
        refused(NoSuchProcessException.class, "no process 99", state, () -> commands.create(99));
        refused(NoSuchProcessException.class, "no process 99", state, () -> commands.create(99, "0x4000_0000", 4));
        refused(IllegalArgumentException.class, "malformed address '0x4000_00zz'", state,
                () -> commands.create(p.pid(), "0x4000_00zz"));
        refused(InvalidRangeException.class, "not aligned", state, () -> commands.create(p.pid(), "0x4000_0001"));
        refused(InvalidRangeException.class, "outside the user address space", state,
                () -> commands.create(p.pid(), "0x7fff_ffff_f000", 2));
        refused(IllegalArgumentException.class, "pages > 0", state, () -> commands.create(p.pid(), "0x4000_0000", 0));
        refused(IllegalArgumentException.class, "no VM 42", state, () -> commands.destroy(42));
        assertEquals(1, commands.create(p.pid()).id(), "a refused create used up a VM id");
    }

    /** A bad attachPages in the driver's configuration (the driver reports it) leaves the default to the commands. */
    @Test
    void aBadConfiguredDefaultGivesWayToTheBuiltInOne() {
        assertEquals(32, commands(Map.of("attachPages", 0)).create(p.pid()).pages());
    }

    @Test
    void destroyingAVmTwiceIsRefused() {
        commands.create(p.pid());
        commands.destroy(1);
        assertEquals(NOTHING, state.get());
        refused(IllegalArgumentException.class, "no VM 1", state, () -> commands.destroy(1));
    }

    @Test
    void everyCommandAndParameterIsDescribed() {
        ShellChecks.assertEveryCommandAndParameterIsDescribed(KvmCommands.class);
    }
}
