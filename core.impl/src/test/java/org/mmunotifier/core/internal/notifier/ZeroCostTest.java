package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import org.junit.jupiter.api.Test;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/**
 * Invariant 9: an mm with no notifiers costs a hook one volatile read and a branch. What can be
 * observed of that: the hooks field is null, and a hook never enters a read-side section (a thread
 * that has never entered one has no slot in the grace-period domain, and a hook does not give it
 * one). Speed itself is measured by the benchmarks, not here.
 */
class ZeroCostTest extends NotifierTestBase {
    private int slotsAfterHooksOnAFreshThread(Mm mm) throws Exception {
        int[] after = new int[1];
        Thread t = new Thread(() -> {
            TestSupport.invalidate(mm, 0, PAGE);
            TestSupport.invalidatePage(mm, 0);
            mm.notifiers().agePage(0);
            mm.notifiers().testYoung(0);
            mm.notifiers().clearYoung(0, PAGE);
            TestSupport.invalidateRange(mm, 0, PAGE, false);
            after[0] = core.srcu().slotCount();
        });
        t.start();
        t.join();
        return after[0];
    }

    @Test
    void hooksOnAnMmWithoutNotifiersEnterNoReadSection() throws Exception {
        assertFalse(mm.notifiers().hasHooks());
        int before = core.srcu().slotCount();
        assertEquals(before, slotsAfterHooksOnAFreshThread(mm));
    }

    @Test
    void theLastUnregisterMakesTheMmFreeAgain() throws Exception {
        RecordingNotifier a = new RecordingNotifier();
        RecordingNotifier b = new RecordingNotifier();
        mm.register(a);
        mm.register(b);
        assertTrue(mm.notifiers().hasHooks());
        mm.unregister(a);
        assertTrue(mm.notifiers().hasHooks());
        mm.unregister(b);
        assertFalse(mm.notifiers().hasHooks());
        int before = core.srcu().slotCount();
        assertEquals(before, slotsAfterHooksOnAFreshThread(mm));
    }

    @Test
    void withANotifierTheHookDoesEnterASection() throws Exception {
        // The counterpart that shows the probe above can see a section.
        mm.register(new RecordingNotifier());
        int before = core.srcu().slotCount();
        assertEquals(before + 1, slotsAfterHooksOnAFreshThread(mm));
    }
}
