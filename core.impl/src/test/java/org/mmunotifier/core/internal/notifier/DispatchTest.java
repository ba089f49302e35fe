package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Each hook reaches every registered notifier with the arguments the primary MMU gave. */
class DispatchTest extends NotifierTestBase {
    /** Each contract gets its kernel's calls for the same primary steps, in registration order. */
    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void everyHookReachesEveryNotifierOfAContractWithItsCalls(MmuNotifierContract contract) {
        RecordingNotifier a = new RecordingNotifier(contract);
        RecordingNotifier b = new RecordingNotifier(contract);
        mm.register(a);
        mm.register(b);

        TestSupport.invalidate(mm, PAGE, 3 * PAGE, MmuNotifierEvent.PROTECTION_VMA, true, () -> { });
        TestSupport.invalidatePage(mm, 5 * PAGE);
        TestSupport.invalidateRange(mm, 0, 2 * PAGE, true);
        mm.notifiers().agePage(7 * PAGE);
        mm.notifiers().clearYoung(0, PAGE);
        mm.notifiers().testYoung(PAGE);

        List<String> expected = switch (contract) {
            case V6 -> List.of("start PROTECTION_VMA 0x1000-0x3000", "end PROTECTION_VMA 0x1000-0x3000",
                    "start CLEAR 0x5000-0x6000", "tlb 0x5000-0x6000", "end CLEAR 0x5000-0x6000",
                    "start UNMAP 0x0-0x2000", "tlb 0x0-0x2000", "end UNMAP 0x0-0x2000",
                    "age 0x7000", "clear_young 0x0-0x1000", "test_young 0x1000");
            case V2_6_27 -> List.of("start PROTECTION_VMA 0x1000-0x3000", "end PROTECTION_VMA 0x1000-0x3000",
                    "page 0x5000", "start UNMAP 0x0-0x2000", "end UNMAP 0x0-0x2000", "age 0x7000");
            case SEED -> List.of("page 0x5000", "range 0x0-0x2000 atomic", "age 0x7000");
        };
        assertEquals(expected, a.calls());
        assertEquals(expected, b.calls());
    }

    @Test
    void agePageIsYoungIfAnySecondarySaysSoAndAgesThemAll() {
        RecordingNotifier old = new RecordingNotifier();
        RecordingNotifier young = new RecordingNotifier();
        young.young = true;
        mm.register(young);
        mm.register(old);

        assertTrue(mm.notifiers().agePage(PAGE));
        // clear_flush_young must clear every secondary's bit, not stop at the first young one.
        assertEquals(List.of("age 0x1000"), old.calls());
        young.young = false;
        assertFalse(mm.notifiers().agePage(PAGE));
    }

    @Test
    void testYoungStopsAtTheFirstYoungSecondary() {
        RecordingNotifier young = new RecordingNotifier();
        RecordingNotifier later = new RecordingNotifier();
        young.young = true;
        mm.register(young);
        mm.register(later);

        assertTrue(mm.notifiers().testYoung(PAGE));
        assertEquals(List.of(), later.calls());
    }

    @Test
    void rangeCarriesEventOwnerAndBlockability() {
        Object migrator = new Object();
        Object[] seen = new Object[3];
        mm.register(new RecordingNotifier() {
            @Override
            public boolean invalidateRangeStart(org.mmunotifier.api.MmuNotifierRange range) {
                seen[0] = range.event();
                seen[1] = range.owner();
                seen[2] = range.isBlockable();
                return true;
            }
        });
        mm.mmapLock().readLock().lock();
        try {
            InvalidationRange r = new InvalidationRange(mm, 0, PAGE, MmuNotifierEvent.MIGRATE).owner(migrator);
            assertTrue(mm.notifiers().invalidateRangeStart(r));
            mm.notifiers().invalidateRangeEnd(r);
        } finally {
            mm.mmapLock().readLock().unlock();
        }
        assertEquals(MmuNotifierEvent.MIGRATE, seen[0]);
        assertEquals(migrator, seen[1]);
        assertEquals(true, seen[2]);
    }

    @Test
    void aRangeObjectCanBeReusedForTheNextInvalidation() {
        RecordingNotifier n = new RecordingNotifier();
        mm.register(n);
        InvalidationRange r = new InvalidationRange(mm, 0, PAGE, MmuNotifierEvent.UNMAP);
        for (int i = 1; i <= 3; i++) {
            r.set(mm, i * PAGE, (i + 1) * PAGE, MmuNotifierEvent.CLEAR, true, null);
            assertTrue(mm.notifiers().invalidateRangeStart(r));
            mm.notifiers().invalidateRangeEnd(r);
        }
        assertEquals(6, n.calls().size());
        assertEquals("end CLEAR 0x3000-0x4000", n.calls().get(5));
    }
}
