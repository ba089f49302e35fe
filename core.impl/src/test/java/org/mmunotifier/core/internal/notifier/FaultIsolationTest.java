package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Invariant 8: a throwing driver cannot break the others, and is reported by name. */
class FaultIsolationTest extends NotifierTestBase {
    /** Throws from every callback. */
    static final class Broken implements MmuNotifier {
        @Override
        public MmuNotifierContract contract() {
            return MmuNotifierContract.V2_6_27; // written for invalidate_page
        }

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
        RecordingNotifier before = new RecordingNotifier(MmuNotifierContract.V2_6_27);
        RecordingNotifier after = new RecordingNotifier(MmuNotifierContract.V2_6_27);
        after.young = true;
        RecordingNotifier current = new RecordingNotifier(MmuNotifierContract.V6); // test_young is 6.x's
        current.young = true;
        mm.register(before);
        mm.register(new Broken());
        mm.register(after);
        mm.register(current);

        assertTrue(TestSupport.invalidate(mm, 0, PAGE));
        TestSupport.invalidatePage(mm, PAGE);
        assertTrue(mm.notifiers().agePage(PAGE));
        assertTrue(mm.notifiers().testYoung(PAGE));
        mm.mmput();

        List<String> expected = List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000", "page 0x1000",
                "age 0x1000");
        assertEquals(expected, before.calls().subList(0, 4));
        assertEquals("release", before.calls().get(before.calls().size() - 1));
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000", "page 0x1000", "age 0x1000",
                "release"), after.calls());
        assertTrue(current.calls().contains("test_young 0x1000"), current.calls().toString());
        assertEquals("release", current.calls().get(current.calls().size() - 1));

        List<NotifierFault> faults = core.faults().recent();
        // test_young came after 2.6.27: Broken never hears it (DriverErrorMatrixTest throws from it).
        assertEquals(List.of("invalidate_range_start", "invalidate_page", "age_page", "release"),
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
