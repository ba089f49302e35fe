package org.mmunotifier.drivers.rdma.internal;

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

/** RdmaAttach: a memory region over every new process, gone when the process exits. */
class RdmaAttachTest {
    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.rdma"));
    private final RdmaDriver rdma = new RdmaDriver(machine.oracle(), machine.notifiers(), machine.frames(), 2);
    private final RdmaAttach attach = attach(Map.of());

    @AfterEach
    void close() {
        rdma.deactivate();
        machine.close();
    }

    private RdmaAttach attach(Map<String, Object> config) {
        return new RdmaAttach(rdma, (config));
    }

    /** A process with the demo's memory layout, announced to {@code listener} as the core's whiteboard does. */
    private TestProcess spawn(RdmaAttach listener) {
        return machine.spawnDemoFor(listener);
    }

    private List<MemoryRegion> mrsOf(TestProcess p) {
        return AttachChecks.on(p.mm(), rdma.mrs(), MemoryRegion::mm);
    }

    @Test
    void aNewProcessGetsARegionOverRegion1AndLosesItWhenItExits() {
        TestProcess p = spawn(attach);
        TestProcess other = spawn(attach);
        List<MemoryRegion> mrs = mrsOf(p);
        assertEquals(1, mrs.size());
        MemoryRegion mr = mrs.get(0);
        assertEquals(0x5000_0000L, mr.start());
        assertEquals(0x5000_0000L + 32 * Addresses.PAGE_SIZE, mr.end());
        assertEquals(1, machine.registrationsOn(p.mm()));
        mr.dma(0x5000_0000L, MemoryRegion.DMA_WRITE, 7); // the region works
        assertEquals(1, mr.mappedPages());

        attach.exiting(p.pid(), p.mm());
        p.exit();
        assertEquals(List.of(), mrsOf(p));
        assertThrows(MrGoneException.class, () -> mr.dma(0x5000_0000L, MemoryRegion.DMA_READ, 0));
        assertEquals(0, machine.registrationsOn(p.mm()));
        assertEquals(1, mrsOf(other).size(), "another process's region went too");
        assertEquals(1, machine.registrationsOn(other.mm()));
    }

    @Test
    void exitDeregistersEveryRegionOfTheProcessAndToleratesOnesDeregisteredAlready() {
        TestProcess p = spawn(attach);
        MemoryRegion attached = mrsOf(p).get(0);
        rdma.registerMr(p.mm(), 0x4000_0000L, 4 * Addresses.PAGE_SIZE); // e.g. rdma:reg
        rdma.deregisterMr(attached); // e.g. rdma:dereg, before the process exits
        attach.exiting(p.pid(), p.mm());
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, machine.registrationsOn(p.mm()));
        attach.exiting(p.pid(), p.mm()); // told twice: nothing left to do
    }

    @Test
    void aProcessThatExitedBeforeTheRegionCouldBeRegisteredGetsNone() {
        TestProcess p = machine.spawnDemo();
        p.exit();
        attach.spawned(p.pid(), p.mm());
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, machine.registrationsOn(p.mm()));
    }

    @Test
    void theConfiguredRegionIsAttached() {
        RdmaAttach at = attach(Map.of("attachAddress", 0x7000_0000L, "attachPages", 8));
        MemoryRegion mr = mrsOf(spawn(at)).get(0);
        assertEquals(0x7000_0000L, mr.start());
        assertEquals(0x7000_0000L + 8 * Addresses.PAGE_SIZE, mr.end());
    }

    @Test
    void withAttachOffNewProcessesGetNoRegion() {
        RdmaAttach off = attach(Map.of("attach", false));
        TestProcess p = spawn(off);
        assertEquals(List.of(), rdma.mrs());
        assertEquals(0, machine.registrationsOn(p.mm()));
    }

    /**
     * The driver's settings reach {@link org.mmunotifier.api.AttachRegion}, which refuses them naming the
     * setting (its checks are DeviceAttachTest's): here a negative (page-aligned) address.
     */
    @Test
    void badAttachSettingsAreRefusedNamingTheSettingAndItsRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> attach(Map.of("attachAddress", -4096L)));
        assertEquals("attachAddress=0xfffffffffffff000 is out of range: a page-aligned address in 0x0..0x7ffffffe0000"
                + " (for attachPages=32)", e.getMessage());
    }

    @Test
    void afterTheDriverIsDeactivatedASpawnIsRefusedAndNothingIsRegistered() {
        AttachChecks.assertSpawnRefusedOnceDeactivated(machine, attach, rdma::mrs, rdma::deactivate,
                "RDMA driver is deactivated");
    }

    /** The whiteboard's calls under the demo workload with the DMA engines busy. */
    @Test
    void everyWorkloadProcessHasARegionWhileItLivesAndNoneAfter() throws Exception {
        AttachRecorder whiteboard = new AttachRecorder(attach, mm -> AttachChecks.on(mm, rdma.mrs(), MemoryRegion::mm));
        machine.attach(whiteboard);
        machine.runWorkload(5, 2, 3, 20_000, Duration.ofSeconds(30), () -> rdma.startDma(5), rdma::stopDma);
        whiteboard.assertOneContextPerProcessWhileItLived(3);
        assertEquals(List.of(), rdma.mrs(), "a region outlived its process");
        machine.assertCoherent();
        assertEquals(0, machine.framesInUse());
    }
}
