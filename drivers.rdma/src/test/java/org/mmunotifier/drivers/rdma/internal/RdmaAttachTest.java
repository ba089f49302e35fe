package org.mmunotifier.drivers.rdma.internal;

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

/** RdmaAttach: a memory region over every new process, gone when the process exits. */
class RdmaAttachTest {
    private final Machine machine = new Machine(512, PageLayout.BITS_64);
    private final RdmaDriver rdma = new RdmaDriver(machine.oracle(), machine.notifierCore(), machine.memory(), 2);
    private final RdmaAttach attach = new RdmaAttach(rdma, TestConfigs.of(RdmaDriver.Config.class, Map.of()));

    @AfterEach
    void close() {
        rdma.deactivate();
        machine.close();
    }

    /** A process with the demo's memory layout, announced as the core's whiteboard does. */
    private Process spawn(RdmaAttach listener) {
        Process p = machine.spawn();
        Workload.mapRegions(p);
        listener.spawned(p.pid(), p.mm());
        return p;
    }

    private List<MemoryRegion> mrsOf(Process p) {
        return rdma.mrs().stream().filter(mr -> mr.mm() == p.mm()).toList();
    }

    @Test
    void aNewProcessGetsARegionOverRegion1AndLosesItWhenItExits() {
        Process p = spawn(attach);
        Process other = spawn(attach);
        List<MemoryRegion> mrs = mrsOf(p);
        assertEquals(1, mrs.size());
        MemoryRegion mr = mrs.get(0);
        assertEquals(0x5000_0000L, mr.start());
        assertEquals(0x5000_0000L + 32 * Addresses.PAGE_SIZE, mr.end());
        assertEquals(1, p.mm().notifiers().intervalCount());
        mr.dma(0x5000_0000L, MemoryRegion.DMA_WRITE, 7); // the region works
        assertEquals(1, mr.mappedPages());

        attach.exiting(p.pid(), p.mm());
        p.exit();
        assertEquals(List.of(), mrsOf(p));
        assertThrows(MrGoneException.class, () -> mr.dma(0x5000_0000L, MemoryRegion.DMA_READ, 0));
        assertEquals(0, p.mm().notifiers().intervalCount());
        assertEquals(1, mrsOf(other).size(), "another process's region went too");
        assertEquals(1, other.mm().notifiers().intervalCount());
    }

    @Test
    void exitDeregistersEveryRegionOfTheProcessAndToleratesOnesDeregisteredAlready() {
        Process p = spawn(attach);
        MemoryRegion attached = mrsOf(p).get(0);
        rdma.registerMr(p.mm(), 0x4000_0000L, 4 * Addresses.PAGE_SIZE); // e.g. rdma:reg
        rdma.deregisterMr(attached); // e.g. rdma:dereg, before the process exits
        attach.exiting(p.pid(), p.mm());
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, p.mm().notifiers().intervalCount());
        attach.exiting(p.pid(), p.mm()); // told twice: nothing left to do
    }

    @Test
    void aProcessThatExitedBeforeTheRegionCouldBeRegisteredGetsNone() {
        Process p = machine.spawn();
        Workload.mapRegions(p);
        p.exit();
        attach.spawned(p.pid(), p.mm());
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, p.mm().notifiers().intervalCount());
    }

    @Test
    void theConfiguredRegionIsAttached() {
        RdmaAttach at = new RdmaAttach(rdma, TestConfigs.of(RdmaDriver.Config.class,
                Map.of("attachAddress", 0x7000_0000L, "attachPages", 8)));
        MemoryRegion mr = mrsOf(spawn(at)).get(0);
        assertEquals(0x7000_0000L, mr.start());
        assertEquals(0x7000_0000L + 8 * Addresses.PAGE_SIZE, mr.end());
    }

    @Test
    void withAttachOffNewProcessesGetNoRegion() {
        RdmaAttach off = new RdmaAttach(rdma, TestConfigs.of(RdmaDriver.Config.class, Map.of("attach", false)));
        Process p = spawn(off);
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, p.mm().notifiers().intervalCount());
    }

    @Test
    void badAttachSettingsAreRefusedNamingTheSettingAndItsRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RdmaAttach(rdma,
                TestConfigs.of(RdmaDriver.Config.class, Map.of("attachPages", 65_537))));
        assertEquals("attachPages=65537 is out of range: 1..65536", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RdmaAttach(rdma,
                TestConfigs.of(RdmaDriver.Config.class, Map.of("attachAddress", -4096L))));
        assertEquals("attachAddress=0xfffffffffffff000 is out of range: a page-aligned address in 0x0..0x7ffffffe0000"
                + " (for attachPages=32)", e.getMessage());
    }

    @Test
    void afterTheDriverIsDeactivatedASpawnIsRefusedAndNothingIsRegistered() {
        Process before = spawn(attach);
        rdma.deactivate();
        assertEquals(0, before.mm().notifiers().intervalCount(), "deactivate left a region registered");
        Process p = machine.spawn();
        Workload.mapRegions(p);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> attach.spawned(p.pid(), p.mm()));
        assertEquals("RDMA driver is deactivated", e.getMessage());
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, p.mm().notifiers().intervalCount());
        attach.exiting(before.pid(), before.mm()); // nothing left: no complaint
    }

    /** The whiteboard's calls under the demo workload with the DMA engines busy. */
    @Test
    void everyWorkloadProcessHasARegionWhileItLivesAndNoneAfter() throws Exception {
        Map<Integer, Boolean> attached = new ConcurrentHashMap<>();
        Map<Integer, Boolean> detached = new ConcurrentHashMap<>();
        Workload.Listener whiteboard = new Workload.Listener() {
            @Override
            public void spawned(Process p) {
                attach.spawned(p.pid(), p.mm());
                attached.put(p.pid(), mrsOf(p).size() == 1);
            }

            @Override
            public void exiting(Process p) {
                attach.exiting(p.pid(), p.mm());
                detached.put(p.pid(), mrsOf(p).isEmpty());
            }
        };
        Workload w = new Workload(machine, new Workload.Config(5, 2, 3, 2), whiteboard);
        rdma.startDma(5);
        try {
            w.run(20_000, Duration.ofSeconds(30));
        } finally {
            rdma.stopDma();
        }
        w.close();
        assertTrue(attached.size() >= 3 && !attached.containsValue(false), attached.toString());
        assertEquals(attached.keySet(), detached.keySet());
        assertTrue(!detached.containsValue(false), detached.toString());
        assertEquals(List.of(), rdma.mrs(), "a region outlived its process");
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(0, machine.memory().usedCount());
    }
}
