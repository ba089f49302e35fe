package org.mmunotifier.core.internal.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.SegmentationFaultException;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.notifier.Owner;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.core.internal.oracle.Oracle;

/** The coherence oracle: what is a violation and what is not, rule by rule. */
class OracleTest {
    static final long P = Addresses.PAGE_SIZE;
    static final long A = 0x20_0000L;
    static final int RW = Vma.PROT_READ | Vma.PROT_WRITE;

    private final Machine machine = new Machine(32, PageLayout.BITS_64);
    private final Oracle oracle = machine.oracle();
    private final Process proc = machine.spawn();
    private final AddressSpace mm = proc.mm();
    /** A 6.x driver that keeps nothing to zap: its start returns at once. */
    private final MmuNotifier device = new MmuNotifier() {
        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            return true;
        }

        @Override
        public String toString() {
            return "dev";
        }
    };

    @AfterEach
    void close() {
        machine.close();
    }

    private DeviceAccess registered(MmuNotifier n) {
        mm.register(n);
        return oracle.device(n, mm);
    }

    private Violation.Rule onlyRule() {
        assertEquals(1, oracle.violationCount(), oracle.violations().toString());
        return oracle.violations().get(0).rule();
    }

    @Test
    void accessesThroughALiveMappingAreCoherentAndSeeTheData() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 5);
        DeviceAccess dev = registered(device);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        assertEquals(5, dev.read(f));
        dev.write(f, 6);
        assertEquals(6, mm.read(A), "a device write must be visible to the CPU");
        assertEquals(6, dev.fetchAdd(f, 1));
        assertEquals(0, oracle.violationCount());
    }

    @Test
    void aDeviceNeedsARegistration() {
        assertThrows(NotRegisteredException.class, () -> oracle.device(device, mm));
    }

    @Test
    void aFrameFreedSinceItWasMappedIsAViolationAndTheReadSeesPoison() {
        mm.mmap(A, P, RW, false);
        DeviceAccess dev = registered(device);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        mm.munmap(A, P);
        assertEquals(Frame.POISON, dev.read(f));
        assertEquals(Violation.Rule.USE_AFTER_FREE, onlyRule());
        Violation v = oracle.violations().get(0);
        assertTrue(v.notifier().startsWith("dev"), v.notifier());
        assertEquals(A, v.address());
        assertEquals("read", v.op());
        assertEquals("6.x", v.contract());
    }

    @Test
    void aViolationNamesTheBundleThatOwnsTheRegistrationWhateverTheDeviceCallsItself() {
        Owner owner = machine.notifierCore().newOwner("com.example.mirror 1.2.0 [38]", 38);
        machine.notifierCore().setOwnerResolver(code -> code == device ? owner : Owner.NONE);
        mm.mmap(A, P, RW, false);
        DeviceAccess dev = registered(device);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        mm.munmap(A, P);
        dev.read(f);
        Violation v = oracle.violations().get(0);
        assertEquals("com.example.mirror 1.2.0 [38]", v.bundle());
        assertEquals(38, v.bundleId());
        assertTrue(dev.name().startsWith("com.example.mirror 1.2.0 [38] notifier dev"), dev.name());
    }

    @Test
    void aFrameThePrimaryMovedAwayIsAViolationEvenIfStillAllocated() {
        mm.mmap(A, P, RW, false);
        mm.mmap(A + P, P, RW, false);
        DeviceAccess dev = registered(device);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        mm.mremap(A, P, A + 16 * P); // same frame, other address
        oracle.setStrict(false);
        dev.read(f);
        assertEquals(Violation.Rule.UNMAPPED, onlyRule());
    }

    @Test
    void writingThroughAMappingThePrimaryWriteProtectedIsAViolation() {
        mm.mmap(A, P, RW, false);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        DeviceAccess dev = registered(device); // registered after the fault: fork is its first invalidation
        oracle.setStrict(false);
        machine.fork(proc); // COW: the parent's pte is now read-only
        dev.read(f);
        assertEquals(0, oracle.violationCount(), "reading a COW-shared page is fine");
        dev.write(f, 1);
        assertEquals(Violation.Rule.WRITE_PROTECTED, onlyRule());
        assertEquals("write", oracle.violations().get(0).op());
    }

    @Test
    void duringAnInvalidationTheOldMappingMayStillBeUsedUntilTheDeviceIsTold() {
        mm.mmap(A, P, RW, false);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        DeviceAccess[] dev = new DeviceAccess[1];
        MmuNotifier n = new MmuNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                dev[0].read(f); // the device finishes an access before it zaps
                return true;
            }
        };
        dev[0] = registered(n);
        mm.munmap(A, P);
        assertEquals(0, oracle.violationCount());
    }

    /** Strict: once its start returned, a device must not touch the range until the end, even if still mapped. */
    @Test
    void anAccessAfterStartReturnedAndBeforeTheEndIsAViolationEvenThroughAStillMappedPage() throws Exception {
        mm.mmap(A, P, RW, false);
        MappedFrame f = mm.faultRange(A, A + P, false)[0];
        DeviceAccess dev = registered(device); // a 6.x notifier that zaps nothing: returns from start at once
        CountDownLatch inLaterStart = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        mm.register(new MmuNotifier() { // called after `device`: holds the invalidation between start and the ptes
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                inLaterStart.countDown();
                await(go);
                return true;
            }
        });
        Thread mprotect = new Thread(() -> mm.mprotect(A, P, Vma.PROT_READ));
        mprotect.start();
        assertTrue(inLaterStart.await(5, TimeUnit.SECONDS));
        dev.read(f); // the pte still maps the frame, readable: the device was told to stay away all the same
        go.countDown();
        mprotect.join();
        assertEquals(Violation.Rule.INSIDE_WINDOW, onlyRule());
        assertTrue(oracle.violations().get(0).reason().contains("invalidate_range_start"),
                oracle.violations().get(0).reason());
    }

    /** Strict: a translation looked up before an invalidation the device was told about is stale for good. */
    @Test
    void aTranslationOlderThanAnInvalidationTheDeviceWasToldAboutIsStaleEvenIfThePteIsBack() {
        mm.mmap(A, P, RW, false);
        DeviceAccess dev = registered(device);
        MappedFrame f = mm.faultRange(A, A + P, false)[0];
        mm.mprotect(A, P, Vma.PROT_READ);
        mm.mprotect(A, P, RW); // the pte maps the same frame, readable, all along
        dev.read(f);
        assertEquals(Violation.Rule.STALE_TRANSLATION, onlyRule());
        MappedFrame again = mm.faultRange(A, A + P, false)[0];
        dev.read(again); // a fresh lookup is fine
        assertEquals(1, oracle.violationCount());
    }

    private MappedFrame faultForTheDevice() {
        return mm.faultRange(A, A + P, true)[0];
    }

    private static void readForTheDevice(DeviceAccess dev, MappedFrame f) {
        dev.read(f);
    }

    /** KASAN-style: where the access was made, where the translation came from, what happened to the page since. */
    @Test
    void aReportShowsTheAccessTheFaultThatMadeTheTranslationAndTheInvalidationsSince() {
        mm.mmap(A, P, RW, false);
        DeviceAccess dev = registered(device);
        MappedFrame f = faultForTheDevice();
        mm.munmap(A, P);

        readForTheDevice(dev, f);

        String r = oracle.violations().get(0).report();
        assertTrue(r.startsWith("violation #1: USE_AFTER_FREE by (no bundle)\nread at 0x200000 of mm " + mm.id()), r);
        assertTrue(r.contains("The access:\n    at " + OracleTest.class.getName() + ".readForTheDevice(OracleTest.java:"), r);
        assertTrue(r.contains("translation made by a device fault of [0x200000, 0x201000) for writing at sequence "
                + f.seq() + ", by thread \"" + Thread.currentThread().getName() + "\":\n      at "
                + OracleTest.class.getName() + ".faultForTheDevice(OracleTest.java:"), r);
        assertTrue(r.contains(" UNMAP [0x200000, 0x201000): this registration heard of it by invalidate_range_start"),
                r);
        assertTrue(r.contains("frame pfn " + f.pfn() + " freed since (generation " + f.generation() + " then"), r);
        assertEquals(r, oracle.report(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> oracle.report(2));
        assertEquals("no violation #2 among the recent ones (mmu:violations lists them)", e.getMessage());

        oracle.forgetViolations(); // an operator's fresh start: the list goes, the count stays
        assertEquals(List.of(), oracle.violations());
        assertEquals(null, oracle.first());
        assertEquals(1, oracle.violationCount());
        readForTheDevice(dev, f);
        assertEquals(2, oracle.violations().get(0).number());
    }

    @Test
    void protNoneRevokesReadsForTheCpuAndForDevices() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 7);
        DeviceAccess dev = registered(device);
        MappedFrame f = mm.faultRange(A, A + P, false)[0];
        mm.mprotect(A, P, Vma.PROT_NONE);
        assertThrows(SegmentationFaultException.class, () -> mm.read(A));
        assertThrows(SegmentationFaultException.class, () -> mm.faultRange(A, A + P, false));
        oracle.setStrict(false); // even the lenient rules: the pte no longer allows any access
        dev.read(f);
        assertEquals(Violation.Rule.WRITE_PROTECTED, onlyRule());
        assertTrue(oracle.violations().get(0).reason().contains("PROT_NONE"), oracle.violations().get(0).reason());
        mm.mprotect(A, P, Vma.PROT_READ);
        assertEquals(7, mm.read(A), "the page stayed; access comes back with the protection");
    }

    /**
     * A page callback (2.6.27's invalidate_page) comes after the pte changed: a translation looked
     * up after it returned is the new one and fine at once, while the operation still runs (no
     * window); one looked up before it is stale.
     */
    @Test
    void afterAPageCallbackAFreshTranslationIsFineAndAnOldOneIsStale() throws Exception {
        mm.mmap(A, P, RW, false);
        mm.write(A, 3);
        MmuNotifier gruLike = new MmuNotifier() {
            @Override
            public MmuNotifierContract contract() {
                return MmuNotifierContract.V2_6_27;
            }

            @Override
            public void invalidatePage(MmStruct m, long address) {
                // flushes its TLB, which holds nothing yet
            }
        };
        CountDownLatch inLaterPage = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        MmuNotifier later = new MmuNotifier() { // told after gruLike: holds the COW break open
            @Override
            public MmuNotifierContract contract() {
                return MmuNotifierContract.V2_6_27;
            }

            @Override
            public void invalidatePage(MmStruct m, long address) {
                inLaterPage.countDown();
                await(go);
            }
        };
        DeviceAccess dev = registered(gruLike);
        MappedFrame old = mm.faultRange(A, A + P, false)[0];
        machine.fork(proc);
        mm.register(later);
        Thread cow = new Thread(() -> mm.write(A, 4)); // do_wp_page: new frame, invalidate_page
        cow.start();
        assertTrue(inLaterPage.await(5, TimeUnit.SECONDS));
        MappedFrame fresh = mm.faultRange(A, A + P, true)[0];
        assertEquals(3, dev.read(fresh), "the copy, before the CPU's store lands");
        assertEquals(0, oracle.violationCount(), oracle.violations().toString());
        go.countDown();
        cow.join();
        dev.read(old); // the old frame is alive (the child maps it), but was looked up before
        assertEquals(Violation.Rule.STALE_TRANSLATION, onlyRule());
    }

    @Test
    void anAccessAfterReleaseIsAViolation() {
        mm.mmap(A, P, RW, false);
        DeviceAccess dev = registered(device);
        MappedFrame f = mm.faultRange(A, A + P, false)[0];
        mm.unregister(device); // release, unlink
        dev.read(f);
        assertEquals(Violation.Rule.AFTER_RELEASE, onlyRule());
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
