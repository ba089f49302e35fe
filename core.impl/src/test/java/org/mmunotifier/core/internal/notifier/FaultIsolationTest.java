package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Invariant 8: a throwing driver cannot break the others, and is reported by name. */
class FaultIsolationTest extends NotifierTestBase {
    /** Throws from every callback. */
    static final class Broken implements MmuNotifier {
        @Override
        public void release(MmStruct m) {
            throw new IllegalStateException("release blew up");
        }

        @Override
        public boolean agePage(MmStruct m, long address) {
            throw new IllegalStateException("age blew up");
        }

        @Override
        public void invalidatePage(MmStruct m, long address) {
            throw new IllegalStateException("page blew up");
        }

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            throw new IllegalStateException("start blew up");
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            throw new AssertionError("end after a start that threw");
        }

        @Override
        public boolean testYoung(MmStruct m, long address) {
            throw new IllegalStateException("test_young blew up");
        }
    }

    @Test
    void theOthersStillGetEveryCallAndTheFaultsNameTheDriver() {
        RecordingNotifier before = new RecordingNotifier();
        RecordingNotifier after = new RecordingNotifier();
        after.young = true;
        mm.register(before);
        mm.register(new Broken());
        mm.register(after);

        assertTrue(TestSupport.invalidate(mm, 0, PAGE));
        mm.notifiers().invalidatePage(PAGE);
        assertTrue(mm.notifiers().agePage(PAGE));
        assertTrue(mm.notifiers().testYoung(PAGE));
        mm.mmput();

        List<String> expected = List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000", "page 0x1000",
                "age 0x1000");
        assertEquals(expected, before.calls().subList(0, 4));
        assertEquals("release", before.calls().get(before.calls().size() - 1));
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000", "page 0x1000", "age 0x1000",
                "test_young 0x1000", "release"), after.calls());

        List<NotifierFault> faults = core.faults().recent();
        assertEquals(List.of("invalidate_range_start", "invalidate_page", "age_page", "test_young", "release"),
                faults.stream().map(NotifierFault::callback).toList());
        for (NotifierFault f : faults) {
            assertTrue(f.notifier().startsWith(Broken.class.getName() + "@"), f.notifier());
            assertEquals(mm.id(), f.mmId());
            assertTrue(f.message().startsWith("threw " + IllegalStateException.class.getName()), f.message());
        }
        // The mm is consistent: every notifier was released and unlinked.
        assertEquals(0, mm.notifiers().notifierCount());
        assertFalse(mm.notifiers().hasHooks());
    }

    @Test
    void aThrowingReleaseStillUnlinksAndUnregisterReturns() {
        Broken broken = new Broken();
        mm.register(broken);
        mm.unregister(broken);
        assertEquals(0, mm.notifiers().notifierCount());
        assertEquals("release", core.faults().recent().get(0).callback());
    }
}
