package org.mmunotifier.drivers.rdma.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mmunotifier.testkit.Refusals.refused;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.InvalidRangeException;
import org.mmunotifier.api.NoSuchProcessException;
import org.mmunotifier.api.Processes;
import org.mmunotifier.testkit.ShellChecks;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;

/** The rdma shell scope against the real memory manager. */
class RdmaCommandsTest {
    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.rdma"));
    private final RdmaDriver rdma = new RdmaDriver(machine.oracle(), machine.notifiers(), machine.frames(), 0);
    private final Processes processes = machine.processes();
    private final RdmaCommands commands = new RdmaCommands(rdma, processes);
    private final TestProcess p = machine.spawnDemo();

    /** The state of a driver with no context anywhere and no registration on {@code p}. */
    private static final List<?> NOTHING = List.of(List.of(), 0);

    /** What a refused command must leave as it was: the regions, and the registrations on {@code p}. */
    private final Supplier<List<?>> state = () -> List.of(List.copyOf(rdma.mrs()), machine.registrationsOn(p.mm()));

    @AfterEach
    void close() {
        rdma.deactivate();
        machine.close();
    }

    @Test
    void regRegistersARegionOverTheProcessMemory() {
        MrInfo mr = commands.reg(p.pid(), "0x5000_0000", "0x20000");
        assertEquals(new MrInfo(1, p.mm().id(), "0x50000000", "0x50020000", 0), mr);
        MemoryRegion region = rdma.mr(1);
        assertEquals(p.mm(), region.mm());
        assertEquals(1, machine.registrationsOn(p.mm()));
        MrInfo decimal = commands.reg(p.pid(), "1073741824", "8192");
        assertEquals(new MrInfo(2, p.mm().id(), "0x40000000", "0x40002000", 0), decimal);
    }

    @Test
    void mrsListsEveryRegionByIdWithWhatTheDeviceMapped() {
        TestProcess q = machine.spawnDemo();
        commands.reg(p.pid(), "0x4000_0000", "0x4000");
        commands.reg(q.pid(), "0x5000_0000", "0x20000");
        rdma.mr(2).dma(0x5000_0008L, MemoryRegion.DMA_WRITE, 3);
        assertEquals(List.of(new MrInfo(1, p.mm().id(), "0x40000000", "0x40004000", 0),
                new MrInfo(2, q.mm().id(), "0x50000000", "0x50020000", 1)), commands.mrs());
    }

    @Test
    void deregRemovesTheRegion() {
        commands.reg(p.pid(), "0x4000_0000", "0x4000");
        rdma.mr(1).dma(0x4000_0000L, MemoryRegion.DMA_READ, 0);
        MrInfo gone = commands.dereg(1);
        assertEquals(new MrInfo(1, p.mm().id(), "0x40000000", "0x40004000", 0), gone);
        assertEquals(List.of(), commands.mrs());
        assertEquals(0, machine.registrationsOn(p.mm()));
    }

    @Test
    void countersAreTheDriversCounters() {
        commands.reg(p.pid(), "0x4000_0000", "0x4000");
        rdma.mr(1).dma(0x4000_0000L, MemoryRegion.DMA_WRITE, 5);
        ShellChecks.assertCountersFollowOneWriteAndItsUnmap(commands::counters,
                () -> p.munmap(0x4000_0000L, 0x4000));
    }

    @Test
    void badInputIsRefusedWithAClearMessageAndChangesNothing() {
        assertEquals(NOTHING, state.get());
        refused(NoSuchProcessException.class, "no process 99", state, () -> commands.reg(99, "0x4000_0000", "0x1000"));
        refused(IllegalArgumentException.class, "malformed address 'x4000'", state,
                () -> commands.reg(p.pid(), "x4000", "4096"));
        refused(IllegalArgumentException.class, "malformed length '-4096'", state,
                () -> commands.reg(p.pid(), "0x4000_0000", "-4096"));
        refused(InvalidRangeException.class, "not aligned", state, () -> commands.reg(p.pid(), "0x4000_0800", "0x1000"));
        refused(InvalidRangeException.class, "not aligned", state, () -> commands.reg(p.pid(), "0x4000_0000", "100"));
        refused(InvalidRangeException.class, "is empty", state, () -> commands.reg(p.pid(), "0x4000_0000", "0"));
        refused(InvalidRangeException.class, "outside the user address space", state,
                () -> commands.reg(p.pid(), "0x7fff_ffff_f000", "0x2000"));
        refused(IllegalArgumentException.class, "no memory region 42", state, () -> commands.dereg(42));
        assertEquals(1, commands.reg(p.pid(), "0x4000_0000", "0x1000").id(), "a refused reg used up an id");
    }

    @Test
    void deregisteringTwiceIsRefused() {
        commands.reg(p.pid(), "0x4000_0000", "0x1000");
        commands.dereg(1);
        assertEquals(NOTHING, state.get());
        refused(IllegalArgumentException.class, "no memory region 1", state, () -> commands.dereg(1));
    }

    @Test
    void everyCommandAndParameterIsDescribed() {
        ShellChecks.assertEveryCommandAndParameterIsDescribed(RdmaCommands.class);
    }
}
