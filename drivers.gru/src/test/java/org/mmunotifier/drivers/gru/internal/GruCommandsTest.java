package org.mmunotifier.drivers.gru.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** The gru shell scope against the real memory manager. */
class GruCommandsTest {
    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.gru").contract("2.6.27"));
    private final GruDriver gru = new GruDriver(machine.oracle(), machine.notifiers(), 16, 8, 0);
    private final Processes processes = machine.processes();
    private final GruCommands commands = new GruCommands(gru, processes);
    private final TestProcess p = machine.spawnDemo();

    /** The state of a driver with no context anywhere and no registration on {@code p}. */
    private static final List<?> NOTHING = List.of(List.of(), 0);

    /** What a refused command must leave as it was: the contexts, and the registrations on {@code p}. */
    private final Supplier<List<?>> state = () -> List.of(List.copyOf(gru.contexts()), machine.registrationsOn(p.mm()));

    @AfterEach
    void close() {
        gru.deactivate();
        machine.close();
    }

    @Test
    void openOpensAContextOnTheProcessMemory() {
        ContextInfo ctx = commands.open(p.pid(), "0x6000_0000", "0x6002_0000");
        GruContext opened = gru.context(1);
        assertEquals(new ContextInfo(1, p.mm().id(), opened.asid(), "0x60000000", "0x60020000"), ctx);
        assertEquals(p.mm(), opened.mm());
        assertEquals(1, machine.registrationsOn(p.mm()));
        ContextInfo decimal = commands.open(p.pid(), "1073741824", "1073750016");
        assertEquals(new ContextInfo(2, p.mm().id(), opened.asid(), "0x40000000", "0x40002000"), decimal);
        assertEquals(1, machine.registrationsOn(p.mm()), "contexts of one mm share one registration");
    }

    @Test
    void contextsListsEveryContextById() {
        TestProcess q = machine.spawnDemo();
        commands.open(p.pid(), "0x4000_0000", "0x4000_4000");
        commands.open(q.pid(), "0x6000_0000", "0x6002_0000");
        int asidP = gru.context(1).asid();
        int asidQ = gru.context(2).asid();
        assertFalse(asidP == asidQ);
        assertEquals(List.of(new ContextInfo(1, p.mm().id(), asidP, "0x40000000", "0x40004000"),
                new ContextInfo(2, q.mm().id(), asidQ, "0x60000000", "0x60020000")), commands.contexts());
    }

    @Test
    void closeClosesTheContextAndTheLastOnePutsTheRegistration() {
        commands.open(p.pid(), "0x4000_0000", "0x4000_4000");
        GruContext ctx = gru.context(1);
        ctx.execute(GruContext.STORE, 0x4000_0000L, 3);
        ContextInfo gone = commands.close(1);
        assertEquals(new ContextInfo(1, p.mm().id(), ctx.asid(), "0x40000000", "0x40004000"), gone);
        assertEquals(List.of(), commands.contexts());
        assertEquals(0, gru.tlbSize(ctx.asid()));
        assertEquals(0, machine.registrationsOn(p.mm()));
    }

    @Test
    void countersAreTheDriversCounters() {
        commands.open(p.pid(), "0x4000_0000", "0x4000_4000");
        gru.context(1).execute(GruContext.STORE, 0x4000_0000L, 5);
        ShellChecks.assertCountersFollowOneWriteAndItsUnmap(commands::counters,
                () -> p.munmap(0x4000_0000L, 0x4000));
    }

    @Test
    void badInputIsRefusedWithAClearMessageAndChangesNothing() {
        assertEquals(NOTHING, state.get());
        refused(NoSuchProcessException.class, "no process 99", state, () -> commands.open(99, "0x4000_0000", "0x4000_1000"));
        refused(IllegalArgumentException.class, "malformed address '0x4000_000g'", state,
                () -> commands.open(p.pid(), "0x4000_000g", "0x4000_1000"));
        refused(IllegalArgumentException.class, "malformed address 'end'", state,
                () -> commands.open(p.pid(), "0x4000_0000", "end"));
        refused(InvalidRangeException.class, "is inverted", state, () -> commands.open(p.pid(), "0x4000_2000", "0x4000_1000"));
        refused(InvalidRangeException.class, "is empty", state, () -> commands.open(p.pid(), "0x4000_1000", "0x4000_1000"));
        refused(InvalidRangeException.class, "not aligned", state, () -> commands.open(p.pid(), "0x4000_0000", "0x4000_0fff"));
        refused(InvalidRangeException.class, "outside the user address space", state,
                () -> commands.open(p.pid(), "0x4000_0000", "0x8000_0000_1000"));
        refused(IllegalArgumentException.class, "no GRU context 42", state, () -> commands.close(42));
        assertEquals(1, commands.open(p.pid(), "0x4000_0000", "0x4000_1000").id(), "a refused open used up an id");
    }

    @Test
    void closingTwiceIsRefused() {
        commands.open(p.pid(), "0x4000_0000", "0x4000_1000");
        commands.close(1);
        assertEquals(NOTHING, state.get());
        refused(IllegalArgumentException.class, "no GRU context 1", state, () -> commands.close(1));
    }

    @Test
    void everyCommandAndParameterIsDescribed() {
        ShellChecks.assertEveryCommandAndParameterIsDescribed(GruCommands.class);
    }
}
