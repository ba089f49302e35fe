package org.mmunotifier.drivers.gru.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

/** GruAttach: a GRU context on every new process, closed when the process exits. */
class GruAttachTest {
    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.gru").contract("2.6.27"));
    private final GruDriver gru = new GruDriver(machine.oracle(), machine.notifiers(), 16, 8, 2);
    private final GruAttach attach = attach(Map.of());

    @AfterEach
    void close() {
        gru.deactivate();
        machine.close();
    }

    private GruAttach attach(Map<String, Object> config) {
        return new GruAttach(gru, (config));
    }

    /** A process with the demo's memory layout, announced to {@code listener} as the core's whiteboard does. */
    private TestProcess spawn(GruAttach listener) {
        return machine.spawnDemoFor(listener);
    }

    private List<GruContext> contextsOf(TestProcess p) {
        return AttachChecks.on(p.mm(), gru.contexts(), GruContext::mm);
    }

    @Test
    void aNewProcessGetsAContextOnRegion2AndLosesItWhenItExits() {
        TestProcess p = spawn(attach);
        TestProcess other = spawn(attach);
        List<GruContext> ctxs = contextsOf(p);
        assertEquals(1, ctxs.size());
        GruContext ctx = ctxs.get(0);
        assertEquals(0x6000_0000L, ctx.start);
        assertEquals(0x6000_0000L + 32 * Addresses.PAGE_SIZE, ctx.end);
        assertEquals(1, machine.registrationsOn(p.mm()));
        ctx.execute(GruContext.STORE, 0x6000_0000L, 4); // the context works
        assertEquals(1, gru.tlbSize(ctx.asid()));

        attach.exiting(p.pid(), p.mm());
        p.exit();
        assertEquals(List.of(), contextsOf(p));
        assertThrows(ContextGoneException.class, () -> ctx.execute(GruContext.LOAD, 0x6000_0000L, 0));
        assertEquals(0, gru.tlbSize(ctx.asid()));
        assertEquals(0, machine.registrationsOn(p.mm()));
        assertEquals(1, contextsOf(other).size(), "another process's context went too");
        assertEquals(1, machine.registrationsOn(other.mm()));
    }

    @Test
    void exitClosesEveryContextOfTheProcessAndToleratesOnesClosedAlready() {
        TestProcess p = spawn(attach);
        GruContext attached = contextsOf(p).get(0);
        gru.open(p.mm(), 0x4000_0000L, 0x4000_4000L); // e.g. gru:open
        gru.close(attached); // e.g. gru:close, before the process exits
        attach.exiting(p.pid(), p.mm());
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, machine.registrationsOn(p.mm()));
        attach.exiting(p.pid(), p.mm()); // told twice: nothing left to do
    }

    @Test
    void aProcessThatExitedBeforeTheContextCouldBeOpenedGetsNone() {
        TestProcess p = machine.spawnDemo();
        p.exit();
        attach.spawned(p.pid(), p.mm());
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, machine.registrationsOn(p.mm()));
    }

    @Test
    void theConfiguredRegionIsAttached() {
        GruAttach at = attach(Map.of("attachAddress", 0x4000_0000L, "attachPages", 4));
        GruContext ctx = contextsOf(spawn(at)).get(0);
        assertEquals(0x4000_0000L, ctx.start);
        assertEquals(0x4000_4000L, ctx.end);
    }

    @Test
    void withAttachOffNewProcessesGetNoContext() {
        GruAttach off = attach(Map.of("attach", false));
        TestProcess p = spawn(off);
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, machine.registrationsOn(p.mm()));
    }

    /**
     * The driver's settings reach {@link org.mmunotifier.api.AttachRegion}, which refuses them naming the
     * setting (its checks are DeviceAttachTest's): here more pages than a region may have.
     */
    @Test
    void badAttachSettingsAreRefusedNamingTheSettingAndItsRange() {
        // (attachPages out of its range is the driver's to report: its default applies, see ConfigValues)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> attach(Map.of("attachAddress", -4096L, "attachPages", 65_537)));
        assertEquals("attachAddress=0xfffffffffffff000 is out of range: a page-aligned address in 0x0..0x7ffffffe0000"
                + " (for attachPages=32)", e.getMessage());
    }

    @Test
    void afterTheDriverIsDeactivatedASpawnIsRefusedAndNothingIsRegistered() {
        AttachChecks.assertSpawnRefusedOnceDeactivated(machine, attach, gru::contexts, gru::deactivate,
                "GRU driver is deactivated");
    }

    /** The whiteboard's calls under the demo workload with the instruction threads busy. */
    @Test
    void everyWorkloadProcessHasAContextWhileItLivesAndNoneAfter() throws Exception {
        AttachRecorder whiteboard = new AttachRecorder(attach, mm -> AttachChecks.on(mm, gru.contexts(), GruContext::mm));
        machine.attach(whiteboard);
        machine.runWorkload(5, 2, 3, 20_000, Duration.ofSeconds(30), () -> gru.startInstructions(5), gru::stopInstructions);
        machine.notifiers().synchronize(); // the puts' frees
        whiteboard.assertOneContextPerProcessWhileItLived(3);
        assertEquals(List.of(), gru.contexts(), "a context outlived its process");
        assertEquals(0, gru.tlbSize(), "TLB entries outlived their contexts");
        machine.assertCoherent();
        assertEquals(0, machine.framesInUse());
    }
}
