package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.NotifiersDisabledException;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/**
 * Notifiers compiled out ({@code CONFIG_MMU_NOTIFIER=n}). Runs in its own surefire execution with
 * {@code -Dmmunotifier.notifiers=off}, because the switch is a static final read once per JVM.
 */
@Tag("compiled-out")
class CompiledOutTest extends NotifierTestBase {
    @Test
    void theSwitchIsOff() {
        assertFalse(NotifierConfig.COMPILED_IN, "run with -D" + NotifierConfig.PROPERTY + "=off");
        assertFalse(core.isCompiledIn());
    }

    @Test
    void everyRegistrationFailsClearlyAndChangesNothing() {
        RecordingNotifier n = new RecordingNotifier();
        NotifiersDisabledException e = assertThrows(NotifiersDisabledException.class, () -> mm.register(n));
        assertTrue(e.getMessage().contains("compiled out"), e.getMessage());
        assertThrows(NotifiersDisabledException.class, () -> mm.get(m -> new RecordingNotifier()));
        assertThrows(NotifiersDisabledException.class,
                () -> mm.insertInterval(0, PAGE, (sub, range, seq) -> true));
        assertThrows(NotifiersDisabledException.class, () -> core.registerRmap(page -> { }));
        assertFalse(mm.notifiers().hasHooks());
        assertEquals(0, mm.notifiers().notifierCount());
        assertEquals(0, core.rmapNotifierCount());
    }

    @Test
    void hooksDoNothingAndEnterNoSection() throws Exception {
        int before = core.srcu().slotCount();
        Thread t = new Thread(() -> {
            TestSupport.invalidate(mm, 0, PAGE, MmuNotifierEvent.UNMAP, false, () -> { });
            TestSupport.invalidatePage(mm, 0);
            mm.notifiers().agePage(0);
            mm.mmput();
        });
        t.start();
        t.join();
        assertEquals(before, core.srcu().slotCount());
    }
}
