package org.mmunotifier.drivers.gru.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

/** GruAttach: a GRU context on every new process, closed when the process exits. */
class GruAttachTest {
    private final Machine machine = new Machine(512, PageLayout.BITS_64);
    private final GruDriver gru = new GruDriver(machine.oracle(), machine.notifierCore(), 16, 8, 2);
    private final DriverView<GruContext> driver = new DriverView<>(gru::contexts, GruContext::mm,
            mm -> mm.notifiers().notifierCount());
    private final GruAttach attach = attach(Map.of());

    @AfterEach
    void close() {
        gru.deactivate();
        machine.close();
    }

    private GruAttach attach(Map<String, Object> config) {
        return new GruAttach(gru, TestConfigs.of(GruDriver.Config.class, config));
    }

    /** A process with the demo's memory layout, announced as the core's whiteboard does. */
    private Process spawn(GruAttach listener) {
        return Whiteboard.spawn(machine, listener);
    }

    private List<GruContext> contextsOf(Process p) {
        return driver.contextsOn(p.mm());
    }

    @Test
    void aNewProcessGetsAContextOnRegion2AndLosesItWhenItExits() {
        Process p = spawn(attach);
        Process other = spawn(attach);
        List<GruContext> ctxs = contextsOf(p);
        assertEquals(1, ctxs.size());
        GruContext ctx = ctxs.get(0);
        assertEquals(0x6000_0000L, ctx.start);
        assertEquals(0x6000_0000L + 32 * Addresses.PAGE_SIZE, ctx.end);
        assertEquals(1, p.mm().notifiers().notifierCount());
        ctx.execute(GruContext.STORE, 0x6000_0000L, 4); // the context works
        assertEquals(1, gru.tlbSize(ctx.asid()));

        attach.exiting(p.pid(), p.mm());
        p.exit();
        assertEquals(List.of(), contextsOf(p));
        assertThrows(ContextGoneException.class, () -> ctx.execute(GruContext.LOAD, 0x6000_0000L, 0));
        assertEquals(0, gru.tlbSize(ctx.asid()));
        assertEquals(0, p.mm().notifiers().notifierCount());
        assertEquals(1, contextsOf(other).size(), "another process's context went too");
        assertEquals(1, other.mm().notifiers().notifierCount());
    }

    @Test
    void exitClosesEveryContextOfTheProcessAndToleratesOnesClosedAlready() {
        Process p = spawn(attach);
        GruContext attached = contextsOf(p).get(0);
        gru.open(p.mm(), 0x4000_0000L, 0x4000_4000L); // e.g. gru:open
        gru.close(attached); // e.g. gru:close, before the process exits
        attach.exiting(p.pid(), p.mm());
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, p.mm().notifiers().notifierCount());
        attach.exiting(p.pid(), p.mm()); // told twice: nothing left to do
    }

    @Test
    void aProcessThatExitedBeforeTheContextCouldBeOpenedGetsNone() {
        Process p = Whiteboard.mapped(machine);
        p.exit();
        attach.spawned(p.pid(), p.mm());
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, p.mm().notifiers().notifierCount());
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
        Process p = spawn(off);
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, p.mm().notifiers().notifierCount());
    }

    /**
     * The driver's settings reach {@link org.mmunotifier.api.AttachRegion}, which refuses them naming the
     * setting (its checks are DeviceAttachTest's): here more pages than a region may have.
     */
    @Test
    void badAttachSettingsAreRefusedNamingTheSettingAndItsRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> attach(Map.of("attachPages", 65_537)));
        assertEquals("attachPages=65537 is out of range: 1..65536", e.getMessage());
    }

    @Test
    void afterTheDriverIsDeactivatedASpawnIsRefusedAndNothingIsRegistered() {
        Whiteboard.assertSpawnRefusedOnceDeactivated(machine, attach, driver, gru::deactivate,
                "GRU driver is deactivated");
    }

    /** The whiteboard's calls under the demo workload with the instruction threads busy. */
    @Test
    void everyWorkloadProcessHasAContextWhileItLivesAndNoneAfter() throws Exception {
        Whiteboard whiteboard = new Whiteboard(attach, driver);
        whiteboard.run(machine, new Workload.Config(5, 2, 3, 2), 20_000, Duration.ofSeconds(30),
                () -> gru.startInstructions(5), gru::stopInstructions);
        machine.notifierCore().synchronize(); // the puts' frees
        whiteboard.assertOneContextPerProcessWhileItLived(3);
        assertEquals(List.of(), gru.contexts(), "a context outlived its process");
        assertEquals(0, gru.tlbSize(), "TLB entries outlived their contexts");
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(0, machine.memory().usedCount());
    }
}
