package org.mmunotifier.drivers.gru.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;

/** GruAttach: a GRU context on every new process, closed when the process exits. */
class GruAttachTest {
    private final Machine machine = new Machine(512, PageLayout.BITS_64);
    private final GruDriver gru = new GruDriver(machine.oracle(), machine.notifierCore(), 16, 8, 2);
    private final GruAttach attach = new GruAttach(gru, TestConfigs.of(GruDriver.Config.class, Map.of()));

    @AfterEach
    void close() {
        gru.deactivate();
        machine.close();
    }

    /** A process with the demo's memory layout, announced as the core's whiteboard does. */
    private Process spawn(GruAttach listener) {
        Process p = machine.spawn();
        Workload.mapRegions(p);
        listener.spawned(p.pid(), p.mm());
        return p;
    }

    private List<GruContext> contextsOf(Process p) {
        return gru.contexts().stream().filter(c -> c.mm() == p.mm()).toList();
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
        Process p = machine.spawn();
        Workload.mapRegions(p);
        p.exit();
        attach.spawned(p.pid(), p.mm());
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, p.mm().notifiers().notifierCount());
    }

    @Test
    void theConfiguredRegionIsAttached() {
        GruAttach at = new GruAttach(gru, TestConfigs.of(GruDriver.Config.class,
                Map.of("attachAddress", 0x4000_0000L, "attachPages", 4)));
        GruContext ctx = contextsOf(spawn(at)).get(0);
        assertEquals(0x4000_0000L, ctx.start);
        assertEquals(0x4000_4000L, ctx.end);
    }

    @Test
    void withAttachOffNewProcessesGetNoContext() {
        GruAttach off = new GruAttach(gru, TestConfigs.of(GruDriver.Config.class, Map.of("attach", false)));
        Process p = spawn(off);
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, p.mm().notifiers().notifierCount());
    }

    @Test
    void badAttachSettingsAreRefusedNamingTheSettingAndItsRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GruAttach(gru,
                TestConfigs.of(GruDriver.Config.class, Map.of("attachPages", -1))));
        assertEquals("attachPages=-1 is out of range: 1..65536", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GruAttach(gru,
                TestConfigs.of(GruDriver.Config.class, Map.of("attachAddress", 0x6000_0800L))));
        assertEquals("attachAddress=0x60000800 is out of range: a page-aligned address in 0x0..0x7ffffffe0000"
                + " (for attachPages=32)", e.getMessage());
    }

    @Test
    void afterTheDriverIsDeactivatedASpawnIsRefusedAndNothingIsRegistered() {
        Process before = spawn(attach);
        gru.deactivate();
        assertEquals(0, before.mm().notifiers().notifierCount(), "deactivate left a context registered");
        Process p = machine.spawn();
        Workload.mapRegions(p);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> attach.spawned(p.pid(), p.mm()));
        assertEquals("GRU driver is deactivated", e.getMessage());
        assertEquals(List.of(), gru.contexts());
        assertEquals(0, p.mm().notifiers().notifierCount());
        attach.exiting(before.pid(), before.mm()); // nothing left: no complaint
    }

    /** The whiteboard's calls under the demo workload with the instruction threads busy. */
    @Test
    void everyWorkloadProcessHasAContextWhileItLivesAndNoneAfter() throws Exception {
        Map<Integer, Boolean> attached = new ConcurrentHashMap<>();
        Map<Integer, Boolean> detached = new ConcurrentHashMap<>();
        Workload.Listener whiteboard = new Workload.Listener() {
            @Override
            public void spawned(Process p) {
                attach.spawned(p.pid(), p.mm());
                attached.put(p.pid(), contextsOf(p).size() == 1);
            }

            @Override
            public void exiting(Process p) {
                attach.exiting(p.pid(), p.mm());
                detached.put(p.pid(), contextsOf(p).isEmpty());
            }
        };
        Workload w = new Workload(machine, new Workload.Config(5, 2, 3, 2), whiteboard);
        gru.startInstructions(5);
        try {
            w.run(20_000, Duration.ofSeconds(30));
        } finally {
            gru.stopInstructions();
        }
        w.close();
        machine.notifierCore().synchronize(); // the puts' frees
        assertTrue(attached.size() >= 3 && !attached.containsValue(false), attached.toString());
        assertEquals(attached.keySet(), detached.keySet());
        assertTrue(!detached.containsValue(false), detached.toString());
        assertEquals(List.of(), gru.contexts(), "a context outlived its process");
        assertEquals(0, gru.tlbSize(), "TLB entries outlived their contexts");
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(0, machine.memory().usedCount());
    }
}
