package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Frame;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Vma;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/**
 * Invariant 8 for every throwable a driver can raise, from every callback: the primary operation
 * completes, the other notifiers get every call (start and end), the machine stays consistent,
 * every frame is free after exit, and the fault is counted once per call and charged to the
 * driver's bundle. A driver's {@code StackOverflowError} or {@code OutOfMemoryError} is the
 * driver's, not the machine's.
 */
class DriverErrorMatrixTest {
    private static final long REGION = 0x4000_0000L;
    private static final int PAGES = 8;
    private static final long PAGE = TestSupport.PAGE;
    private static final String BUNDLE = "com.example.faulty 1.0.0 [42]";

    /** How the driver fails. */
    enum Failure {
        STACK_OVERFLOW {
            @Override
            void raise() {
                recurse(0);
            }
        },
        OUT_OF_MEMORY {
            @Override
            void raise() {
                throw new OutOfMemoryError("the driver's own allocation failed");
            }
        },
        RUNTIME_EXCEPTION {
            @Override
            void raise() {
                throw new IllegalStateException("the driver is broken");
            }
        };

        abstract void raise();

        private static int recurse(int depth) {
            return recurse(depth + 1) + 1; // a real StackOverflowError, as deep as the stack goes
        }
    }

    /** Which callback fails, and the primary operation that reaches it. */
    enum Site {
        RELEASE, INVALIDATE_RANGE_START, INVALIDATE_RANGE_END, INVALIDATE_PAGE, AGE_PAGE, INTERVAL_INVALIDATE,
        RMAP_INVALIDATE_PAGE, ARCH_INVALIDATE_SECONDARY_TLBS, SEED_INVALIDATE_RANGE, TEST_YOUNG, CLEAR_YOUNG;

        /** The contract in which the primary makes this call (the faulty notifier and its neighbours have it). */
        MmuNotifierContract contract() {
            return switch (this) {
                case ARCH_INVALIDATE_SECONDARY_TLBS, TEST_YOUNG, CLEAR_YOUNG -> MmuNotifierContract.V6;
                case SEED_INVALIDATE_RANGE -> MmuNotifierContract.SEED;
                default -> MmuNotifierContract.V2_6_27;
            };
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Site site : Site.values()) {
            for (Failure f : Failure.values()) {
                out.add(Arguments.of(site, f));
            }
        }
        return out.stream();
    }

    private final Machine machine = new Machine(256, PageLayout.BITS_64);
    private final NotifierCore core = machine.notifierCore();
    private final Owner faultyOwner = core.newOwner(BUNDLE, 42);

    @AfterEach
    void close() {
        machine.close();
    }

    /** Fails at {@code site}, counting every call it gets there. */
    private static final class Faulty implements MmuNotifier, MmuIntervalNotifier, MmuRmapNotifier {
        final Site site;
        final Failure failure;
        final AtomicInteger calls = new AtomicInteger();

        Faulty(Site site, Failure failure) {
            this.site = site;
            this.failure = failure;
        }

        private void at(Site s) {
            if (s == site) {
                calls.incrementAndGet();
                failure.raise();
            }
        }

        @Override
        public MmuNotifierContract contract() {
            return site.contract();
        }

        @Override
        public void release(MmStruct mm) {
            at(Site.RELEASE);
        }

        @Override
        public void archInvalidateSecondaryTlbs(MmStruct mm, long start, long end) {
            at(Site.ARCH_INVALIDATE_SECONDARY_TLBS);
        }

        @Override
        public void invalidateRange(MmStruct mm, long start, long end, boolean atomic) {
            at(Site.SEED_INVALIDATE_RANGE);
        }

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            at(Site.INVALIDATE_RANGE_START);
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            at(Site.INVALIDATE_RANGE_END);
        }

        @Override
        public void invalidatePage(MmStruct mm, long address) {
            at(Site.INVALIDATE_PAGE);
        }

        @Override
        public boolean agePage(MmStruct mm, long address) {
            at(Site.AGE_PAGE);
            return false;
        }

        @Override
        public boolean testYoung(MmStruct mm, long address) {
            at(Site.TEST_YOUNG);
            return false;
        }

        @Override
        public boolean clearYoung(MmStruct mm, long start, long end) {
            at(Site.CLEAR_YOUNG);
            return false;
        }

        @Override
        public boolean invalidate(MmuIntervalSubscription sub, MmuNotifierRange range, long curSeq) {
            sub.setSeq(curSeq);
            at(Site.INTERVAL_INVALIDATE);
            return true;
        }

        @Override
        public void invalidatePage(Page page) {
            at(Site.RMAP_INVALIDATE_PAGE);
        }
    }

    /** A well-behaved interval subscription that records what it was told. */
    private static final class Interval implements MmuIntervalNotifier {
        final List<String> calls = new ArrayList<>();

        @Override
        public synchronized boolean invalidate(MmuIntervalSubscription sub, MmuNotifierRange range, long curSeq) {
            sub.setSeq(curSeq);
            calls.add(RecordingNotifier.range(range));
            return true;
        }
    }

    @ParameterizedTest(name = "{1} in {0}")
    @MethodSource("cases")
    void theOthersGetEveryCallAndTheMachineStaysWhole(Site site, Failure failure) throws Exception {
        Faulty faulty = new Faulty(site, failure);
        core.setOwnerResolver(code -> code == faulty ? faultyOwner : Owner.NONE);
        Process p = machine.spawn();
        AddressSpace mm = p.mm();
        mm.mmap(REGION, PAGES * PAGE, Vma.PROT_READ | Vma.PROT_WRITE, false);
        for (int i = 0; i < PAGES; i++) {
            mm.write(REGION + i * PAGE, i);
        }
        RecordingNotifier before = new RecordingNotifier(site.contract());
        RecordingNotifier after = new RecordingNotifier(site.contract());
        Interval interval = new Interval();
        List<Long> rmapSeen = new ArrayList<>();
        mm.register(before);
        switch (site) {
            case INTERVAL_INVALIDATE -> mm.insertInterval(REGION, REGION + PAGES * PAGE, faulty);
            case RMAP_INVALIDATE_PAGE -> core.registerRmap(faulty);
            default -> mm.register(faulty);
        }
        mm.register(after);
        MmuIntervalSubscription healthy = mm.insertInterval(REGION, REGION + PAGES * PAGE, interval);
        core.registerRmap(page -> {
            synchronized (rmapSeen) {
                rmapSeen.add(page.pfn());
            }
        });

        Supplier<List<String>> othersSee = () -> {
            List<String> b = new ArrayList<>(before.calls());
            assertEquals(b, after.calls(), "the notifiers on either side of the faulty one got the same calls");
            return b;
        };

        switch (site) {
            case RELEASE -> p.exit();
            case INVALIDATE_RANGE_START, INVALIDATE_RANGE_END, INTERVAL_INVALIDATE, ARCH_INVALIDATE_SECONDARY_TLBS,
                    SEED_INVALIDATE_RANGE -> {
                mm.munmap(REGION, 2 * PAGE);
                String span = "0x" + Long.toHexString(REGION) + "-0x" + Long.toHexString(REGION + 2 * PAGE);
                String range = "UNMAP " + span;
                assertEquals(switch (site.contract()) {
                    case V6 -> List.of("start " + range, "tlb " + span, "end " + range);
                    case V2_6_27 -> List.of("start " + range, "end " + range);
                    case SEED -> List.of("range " + span);
                }, othersSee.get());
                assertEquals(List.of(range), interval.calls);
                assertEquals(1, faulty.calls.get());
            }
            case INVALIDATE_PAGE -> {
                assertTrue(machine.reclaimer().reclaimPage(mm, REGION + 3 * PAGE), "reclaim completed");
                assertEquals(List.of("page 0x" + Long.toHexString(REGION + 3 * PAGE)), othersSee.get());
            }
            case AGE_PAGE -> {
                machine.reclaimer().shrink(PAGES);
                assertTrue(othersSee.get().stream().anyMatch(c -> c.startsWith("age ")), before.calls().toString());
            }
            case TEST_YOUNG, CLEAR_YOUNG -> {
                // Nobody says young (test_young stops at the first that does): every notifier is asked.
                assertEquals(PAGES, mm.scanYoung(REGION, REGION + PAGES * PAGE), "the ptes' own accessed bits");
                String kind = site == Site.TEST_YOUNG ? "test_young " : "clear_young ";
                assertEquals(PAGES, othersSee.get().stream().filter(c -> c.startsWith(kind)).count(),
                        before.calls().toString());
                assertEquals(PAGES, faulty.calls.get());
            }
            case RMAP_INVALIDATE_PAGE -> {
                Frame f = mm.frameAt(REGION + 5 * PAGE);
                f.setExternalRmap();
                assertTrue(machine.reclaimer().reclaimPage(mm, REGION + 5 * PAGE), "reclaim completed");
                assertEquals(List.of(f.pfn()), rmapSeen, "the other rmap notifier was told");
                assertEquals(1, faulty.calls.get());
            }
        }
        assertEquals(List.of(), machine.checkConsistency());
        // The healthy interval subscription still works: its readBegin does not wait for ever.
        long seq = TestSupport.callWithin(5_000, healthy::readBegin);
        assertTrue(!healthy.readRetry(seq));

        if (p.isAlive()) {
            p.exit();
        }
        assertTrue(before.calls().contains("release") && after.calls().contains("release"), before.calls().toString());
        assertEquals(0, machine.memory().usedCount(), "every frame is free after exit");
        assertEquals(List.of(), machine.checkConsistency());

        assertTrue(faulty.calls.get() > 0, "the faulty callback was reached");
        List<NotifierFault> faults = core.faults().recent();
        assertEquals(faulty.calls.get(), faults.size(), "one fault per call: " + faults);
        for (NotifierFault f : faults) {
            assertEquals(BUNDLE, f.bundle());
            assertEquals(42, f.bundleId());
            assertTrue(f.message().startsWith("threw " + expectedType(failure)), f.message());
        }
    }

    private static String expectedType(Failure f) {
        return switch (f) {
            case STACK_OVERFLOW -> StackOverflowError.class.getName();
            case OUT_OF_MEMORY -> OutOfMemoryError.class.getName();
            case RUNTIME_EXCEPTION -> IllegalStateException.class.getName();
        };
    }
}
