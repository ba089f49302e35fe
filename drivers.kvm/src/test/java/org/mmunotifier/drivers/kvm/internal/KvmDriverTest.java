package org.mmunotifier.drivers.kvm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.testkit.ContextsPerProcess;
import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.Refusals;
import org.mmunotifier.testkit.RunningWorkload;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;
import org.mmunotifier.testkit.Verdict;
import org.mmunotifier.testkit.WorkloadRun;

/** The KVM driver against the real memory manager. */
class KvmDriverTest {
    static final long P = Addresses.PAGE_SIZE;
    static final long GUEST = 0x4000_0000L; // the workload's region 0
    static final int PAGES = DemoLayout.REGION_PAGES;

    private final TestMachine machine = TestMachine.create(TestMachine.settings().driver("org.mmunotifier.drivers.kvm"));
    private final KvmDriver kvm = new KvmDriver(machine.oracle(), 1);

    @AfterEach
    void close() {
        kvm.deactivate();
        machine.close();
    }

    /** Gives every process the workload creates a running VM over its region 0. */
    private ContextsPerProcess<Vm> vmPerProcess(boolean broken) {
        return vmPerProcess(broken, false);
    }

    /** {@code skipZap}, {@code skipRetry}: the VMs' injected bugs. */
    private ContextsPerProcess<Vm> vmPerProcess(boolean skipZap, boolean skipRetry) {
        return new ContextsPerProcess<>((pid, mm) -> {
            Vm vm = kvm.createVm(mm, GUEST, PAGES);
            vm.skipZapOnStart = skipZap;
            vm.skipRetry = skipRetry;
            kvm.run(vm, pid);
            return List.of(vm);
        }, kvm::destroyVm);
    }

    /** A process whose region 0 is mapped and its first page written (resident). */
    private TestProcess guestMemory() {
        TestProcess p = machine.spawn();
        p.mmap(GUEST, PAGES * P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        p.write(GUEST, 11);
        return p;
    }

    /** Runs the workload with a VM per process (as {@code vms} makes them), for {@code budget}. */
    private WorkloadRun run(ContextsPerProcess<Vm> vms, long seed, Duration budget) {
        machine.attach(vms);
        return machine.runWorkload(seed, 2, 3, budget);
    }

    @Test
    void vmsUnderTheWorkloadNeverTouchAFreedPage() throws Exception {
        WorkloadRun r = run(vmPerProcess(false), 1, Duration.ofSeconds(3));
        var c = kvm.counters().snapshot();
        assertTrue(c.accesses() > 1_000 && c.faults() > 100 && c.invalidations() > 100 && c.zapped() > 0, c.toString());
        machine.assertCoherent();
        assertEquals(List.of(), kvm.vms(), "a VM outlived its process");
        assertEquals(0, machine.framesInUse());
        assertTrue(r.total() > 1_000, r.toString());
    }

    @Test
    void aVmThatForgetsToZapIsCaughtByTheOracle() throws Exception {
        run(vmPerProcess(true), 2, Duration.ofSeconds(2));
        assertTrue(machine.oracle().violationCount() > 0, "the oracle missed a VM that keeps stale sptes");
        var v = machine.verdicts().get(0);
        assertTrue(v.notifier().startsWith("kvm-vm"), v.toString());
        assertEquals("6.x", v.contract(), v.toString());
        assertTrue(v.rule().equals("STALE_TRANSLATION") || v.rule().equals("USE_AFTER_FREE")
                || v.rule().equals("UNMAPPED") || v.rule().equals("WRITE_PROTECTED"), v.toString());
    }

    /** The adversary races every third fault and stalls invalidations: the retry check holds. */
    @Test
    void underTheAdversaryVmsStayCoherent() throws Exception {
        machine.adversary(0.3, 0.25, 3);
        run(vmPerProcess(false, false), 3, Duration.ofSeconds(3));
        var c = kvm.counters().snapshot();
        assertTrue(machine.adversaryStrikes() > 100 && c.retries() > 10, machine.adversaryStrikes() + " " + c);
        machine.assertCoherent();
        assertEquals(0, machine.framesInUse());
    }

    /** A VM without mmu_invalidate_retry maps a page the adversary just took away: caught in every run. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aVmThatSkipsTheRetryIsCaughtInEveryRunWithinASecond(long seed) throws Exception {
        machine.adversary(0.3, 0.25, seed);
        run(vmPerProcess(false, true), seed, Duration.ofSeconds(1));
        assertTrue(machine.oracle().violationCount() > 0, "the oracle missed a VM that skips the retry check");
        Verdict v = machine.verdicts().get(0);
        assertTrue(v.notifier().startsWith("kvm-vm") && !v.rule().equals("AFTER_RELEASE"), v.toString());
    }

    /** Forces the race: between GUP and the retry check, the host unmaps the page. */
    @Test
    void aFaultThatRacedAnInvalidationRetriesInsteadOfMappingTheOldPage() {
        TestProcess p = guestMemory();
        Vm vm = kvm.createVm(p.mm(), GUEST, PAGES);
        long stale = p.pfnAt(GUEST);
        vm.afterFault = () -> {
            vm.afterFault = null; // once
            p.madviseDontNeed(GUEST, P); // the page GUP just returned is freed
        };
        assertEquals(0, vm.guestAccess(0, Vm.GUEST_READ, 0), "the guest read the page that was dropped");
        assertEquals(1, kvm.counters().snapshot().retries());
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(1, machine.generationOf(stale), "the page GUP returned was not freed");
        assertEquals(1, vm.mappedPages());
    }

    /**
     * A vCPU hits its spte in guest mode, without mmu_lock: a zap of that page must not return while
     * the vCPU is still between its spte read and its access (kvm_flush_remote_tlbs), or the access
     * lands after invalidate_range_start returned, on a page the primary is freeing. With the flush
     * skipped, the same interleaving is a violation: the test can tell.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aZapWaitsForTheVcpuInGuestMode(boolean skipTlbFlush) throws Exception {
        TestProcess p = guestMemory();
        Vm vm = kvm.createVm(p.mm(), GUEST, 1);
        vm.skipTlbFlush = skipTlbFlush;
        vm.guestAccess(0, Vm.GUEST_READ, 0); // the spte is there: the vCPU's accesses hit
        java.util.concurrent.CountDownLatch inGuest = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
        vm.inGuest = () -> {
            vm.inGuest = null; // once
            inGuest.countDown();
            try {
                proceed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        kvm.run(vm, 1);
        assertTrue(inGuest.await(10, java.util.concurrent.TimeUnit.SECONDS), "the vCPU never hit its spte");
        Thread unmap = new Thread(() -> p.madviseDontNeed(GUEST, P));
        unmap.start();
        unmap.join(300);
        assertEquals(skipTlbFlush, !unmap.isAlive(),
                skipTlbFlush ? "without the flush the zap does not wait" : "the zap returned while the vCPU was in guest mode");
        proceed.countDown();
        unmap.join(10_000);
        assertFalse(unmap.isAlive());
        kvm.destroyVm(vm);
        assertEquals(skipTlbFlush, machine.oracle().violationCount() > 0, machine.violations().toString());
    }

    /**
     * kvm_destroy_vm holds kvm_lock only to unlink the VM: a teardown waiting for its vCPU's step
     * does not keep another process from getting (or losing) its VM meanwhile. Under one driver
     * lock, every fork and exit of the machine queued behind the slowest teardown.
     */
    @Test
    void aTeardownWaitingForItsVcpuDoesNotHoldUpOtherVms() throws Exception {
        TestProcess p = guestMemory();
        TestProcess other = guestMemory();
        Vm vm = kvm.createVm(p.mm(), GUEST, 1);
        vm.guestAccess(0, Vm.GUEST_READ, 0);
        java.util.concurrent.CountDownLatch inGuest = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
        vm.inGuest = () -> {
            vm.inGuest = null;
            inGuest.countDown();
            boolean interrupted = false;
            while (proceed.getCount() > 0) { // deaf to the detach's interrupt: it must wait for the step
                try {
                    proceed.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        };
        kvm.run(vm, 1);
        assertTrue(inGuest.await(10, java.util.concurrent.TimeUnit.SECONDS), "the vCPU never hit its spte");
        Thread teardown = new Thread(() -> kvm.destroyVm(vm), "teardown");
        teardown.start();
        org.mmunotifier.testkit.Waits.until(() -> teardown.getState() != Thread.State.RUNNABLE
                && teardown.getState() != Thread.State.NEW, Duration.ofSeconds(10), "the teardown never waited for the step");

        long began = System.nanoTime();
        Vm second = kvm.createVm(other.mm(), GUEST, PAGES);
        kvm.run(second, 2);
        kvm.destroyVm(second);
        assertTrue(teardown.isAlive(), "the other VM's life waited for this teardown");

        // Past the detach's bound the vCPU is left behind, still in guest mode with its spte: the
        // teardown must still wait for it (the drop's flush), or it accesses after the unregister.
        long bound = 2 * org.mmunotifier.api.DeviceEngines.STOP_WAIT.toNanos() + 500_000_000L;
        Thread.sleep(Math.max(0, (bound - (System.nanoTime() - began)) / 1_000_000));
        assertTrue(teardown.isAlive(), "the teardown returned while a vCPU left behind was still in guest mode");

        proceed.countDown();
        teardown.join(10_000);
        assertFalse(teardown.isAlive());
        assertEquals(List.of(), kvm.vms());
        assertEquals(0, machine.registrationsOn(p.mm()));
        assertEquals(0, machine.registrationsOn(other.mm()));
        assertEquals(0, machine.oracle().violationCount(), machine.violations().toString());
    }

    /** A fault that loses every race gives up with a bounded number of retries, and maps nothing. */
    @Test
    void aFaultThatAlwaysRacesGivesUpWithFaultRetryException() {
        TestProcess p = guestMemory();
        Vm vm = kvm.createVm(p.mm(), GUEST, PAGES);
        vm.afterFault = () -> p.madviseDontNeed(GUEST, P); // every fault races an invalidation
        org.mmunotifier.api.FaultRetryException e = assertThrows(org.mmunotifier.api.FaultRetryException.class,
                () -> vm.guestAccess(0, Vm.GUEST_READ, 0));
        assertTrue(e.getMessage().contains("0x40000000"), e.getMessage());
        assertEquals(1_000, kvm.counters().snapshot().retries());
        assertEquals(0, vm.mappedPages());
        vm.afterFault = null;
        assertEquals(0, vm.guestAccess(0, Vm.GUEST_READ, 0), "the VM is usable once the races stop");
        assertEquals(0, machine.oracle().violationCount());
    }

    /** The same race against reclaim's per-page invalidate: it must bump the sequence too. */
    @Test
    void aFaultThatRacedAPerPageInvalidateRetries() {
        TestProcess p = guestMemory();
        Vm vm = kvm.createVm(p.mm(), GUEST, PAGES);
        vm.afterFault = () -> {
            vm.afterFault = null;
            assertTrue(p.reclaim(GUEST)); // frees the page GUP returned
        };
        vm.guestAccess(0, Vm.GUEST_READ, 0);
        assertEquals(1, kvm.counters().snapshot().retries());
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void theSequenceAloneProtectsAFaultInFlightEvenWithoutZapping() {
        TestProcess p = guestMemory();
        Vm vm = kvm.createVm(p.mm(), GUEST, PAGES);
        vm.skipZapOnStart = true; // a zap cannot help: the spte is not there yet
        vm.afterFault = () -> {
            vm.afterFault = null;
            p.madviseDontNeed(GUEST, P);
        };
        // The retry check still saves it: only the sequence protects a fault in flight.
        vm.guestAccess(0, Vm.GUEST_READ, 0);
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(1, kvm.counters().snapshot().retries());
    }

    @Test
    void agingClearsTheAccessedBitsAndReportsYoungToReclaim() {
        TestProcess p = machine.spawn();
        p.mmap(GUEST, PAGES * P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        MmStruct mm = p.mm();
        Vm vm = kvm.createVm(mm, GUEST, PAGES);
        vm.guestAccess(3, Vm.GUEST_WRITE, 5);
        assertTrue(vm.testYoung(mm, GUEST + 3 * P));
        assertTrue(vm.agePage(mm, GUEST + 3 * P));
        assertFalse(vm.agePage(mm, GUEST + 3 * P), "agePage did not clear the accessed bit");

        // Only the guest uses the page: each reclaim pass finds it young in the EPT and keeps it.
        long pfn = p.pfnAt(GUEST + 3 * P);
        for (int pass = 0; pass < 3; pass++) {
            vm.guestAccess(3, Vm.GUEST_READ, 0);
            machine.reclaim(512);
            assertEquals(pfn, p.pfnAt(GUEST + 3 * P), "reclaim took a page the guest keeps using");
        }
        // Once the guest stops, the next passes take it (and the VM hears of it).
        machine.reclaim(512);
        machine.reclaim(512);
        assertEquals(-1, p.pfnAt(GUEST + 3 * P));
        assertEquals(0, vm.mappedPages());
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void destroyingAVmWhileTheWorkloadRunsLeavesNoCallbackBehind() throws Exception {
        RunningWorkload load = machine.startWorkload(3, 2, 2, Long.MAX_VALUE, Duration.ofSeconds(2));
        TestProcess p = load.processes().get(0);
        Vm vm = kvm.createVm(p.mm(), GUEST, PAGES);
        kvm.run(vm, 1);
        Thread.sleep(500);
        kvm.destroyVm(vm);
        long after = vm.callbacks();
        assertEquals(0, machine.registrationsOn(p.mm()));
        load.join();
        assertEquals(after, vm.callbacks(), "a callback reached the VM after destroyVm returned");
        assertEquals(0, machine.oracle().violationCount());
    }

    @Test
    void processExitWhileVcpusRunReleasesTheVm() throws Exception {
        TestProcess p = machine.spawn();
        p.mmap(GUEST, PAGES * P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        Vm vm = kvm.createVm(p.mm(), GUEST, PAGES);
        kvm.run(vm, 7);
        Thread.sleep(200);
        p.exit();
        assertTrue(vm.isReleased());
        assertEquals(0, vm.mappedPages());
        assertThrows(VmReleasedException.class, () -> vm.guestAccess(0, Vm.GUEST_READ, 0));
        kvm.destroyVm(vm); // unregister after exit, as KVM does
        assertEquals(0, machine.framesInUse());
        assertEquals(0, machine.oracle().violationCount());
        assertEquals(0, machine.mmCount(vm.mm()), "a registration still holds the mm");
    }

    @Test
    void badArgumentsAreRefused() {
        MmStruct mm = machine.spawn().mm();
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> kvm.createVm(mm, GUEST + 1, 4));
        assertThrows(IllegalArgumentException.class, () -> kvm.createVm(mm, GUEST, 0));
        assertThrows(IllegalArgumentException.class, () -> new KvmDriver(machine.oracle(), 0));
        Vm vm = kvm.createVm(mm, GUEST, 4);
        assertThrows(IllegalArgumentException.class, () -> vm.guestAccess(4, Vm.GUEST_READ, 0));
        assertThrows(IllegalArgumentException.class, () -> kvm.vm(999));
        kvm.destroyVm(vm);
        assertThrows(IllegalArgumentException.class, () -> kvm.destroyVm(vm));
        assertEquals(0, machine.registrationsOn(mm));
    }

    @Test
    void deactivateDestroysEveryVmAndRefusesNewOnes() {
        TestProcess p = guestMemory();
        Vm vm = kvm.createVm(p.mm(), GUEST, PAGES);
        kvm.run(vm, 1);
        kvm.deactivate();
        assertEquals(List.of(), kvm.vms());
        assertTrue(vm.isReleased());
        assertEquals(0, vm.vcpuCount());
        assertEquals(0, machine.registrationsOn(p.mm()));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kvm.createVm(p.mm(), GUEST, PAGES));
        assertEquals("KVM driver is deactivated", e.getMessage());
        assertThrows(IllegalStateException.class, () -> kvm.run(vm, 1));
        assertEquals(0, machine.registrationsOn(p.mm()));
        kvm.deactivate(); // again: nothing to do
    }

    /** Every create racing deactivation either finished before it (and was destroyed) or was refused. */
    @Test
    void createsRacingDeactivationLeaveNoVmBehind() throws Exception {
        TestProcess p = guestMemory();
        RuntimeException refused = Refusals.refusalOfLoopRacing(() -> kvm.createVm(p.mm(), GUEST, PAGES), kvm::deactivate);
        assertEquals("KVM driver is deactivated", refused.getMessage());
        assertEquals(List.of(), kvm.vms());
        assertEquals(0, machine.registrationsOn(p.mm()), "a VM created during deactivation stayed registered");
    }
}
