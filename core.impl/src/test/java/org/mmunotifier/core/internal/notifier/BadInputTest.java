package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.AlreadyRegisteredException;
import org.mmunotifier.api.InvalidRangeException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.api.page.UnsupportedPageFlagException;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Invariant 12: bad input gets a specific exception with a clear message and changes nothing. */
class BadInputTest extends NotifierTestBase {
    private static final MmuIntervalNotifier NOP = (sub, range, seq) -> true;

    private void assertMessage(Throwable t, String fragment) {
        assertTrue(t.getMessage().contains(fragment), () -> "message '" + t.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void rangesThatAreInvertedUnalignedEmptyOrOutsideUserSpace() {
        assertMessage(assertThrows(InvalidRangeException.class,
                () -> new InvalidationRange(mm, 2 * PAGE, PAGE, MmuNotifierEvent.UNMAP)), "inverted");
        assertMessage(assertThrows(InvalidRangeException.class,
                () -> new InvalidationRange(mm, 1, PAGE, MmuNotifierEvent.UNMAP)), "not aligned");
        assertMessage(assertThrows(InvalidRangeException.class,
                () -> new InvalidationRange(mm, PAGE, PAGE, MmuNotifierEvent.UNMAP)), "empty");
        assertMessage(assertThrows(InvalidRangeException.class,
                () -> new InvalidationRange(mm, 0, Addresses.TASK_SIZE + PAGE, MmuNotifierEvent.UNMAP)),
                "outside the user address space");
        assertMessage(assertThrows(InvalidRangeException.class, () -> mm.insertInterval(PAGE, 0, NOP)), "inverted");
        assertMessage(assertThrows(InvalidRangeException.class, () -> mm.insertInterval(0, 100, NOP)), "not aligned");
        assertMessage(assertThrows(InvalidRangeException.class, () -> mm.insertInterval(-PAGE, PAGE, NOP)),
                "outside the user address space");
        assertEquals(0, mm.notifiers().intervalCount());
        assertFalse(mm.notifiers().hasHooks(), "a rejected interval insert created an interval tree");
    }

    @Test
    void aReusedRangeRejectsBadBoundsAndKeepsItsOldOnes() {
        InvalidationRange r = new InvalidationRange(mm, 0, PAGE, MmuNotifierEvent.UNMAP);
        assertThrows(InvalidRangeException.class, () -> r.set(mm, PAGE, 0, MmuNotifierEvent.CLEAR, true, null));
        assertEquals(0, r.start());
        assertEquals(PAGE, r.end());
        assertEquals(MmuNotifierEvent.UNMAP, r.event());
    }

    @Test
    void doubleRegisterIsRefusedAndLeavesOneRegistration() {
        RecordingNotifier n = new RecordingNotifier(MmuNotifierContract.V2_6_27);
        mm.register(n);
        assertMessage(assertThrows(AlreadyRegisteredException.class, () -> mm.register(n)), "already");
        mm.mmapLock().writeLock().lock();
        try {
            assertThrows(AlreadyRegisteredException.class, () -> mm.registerLocked(n));
        } finally {
            mm.mmapLock().writeLock().unlock();
        }
        assertEquals(1, mm.notifiers().notifierCount());
        TestSupport.invalidatePage(mm, 0);
        assertEquals(List.of("page 0x0"), n.calls());
    }

    @Test
    void unregisteringAStrangerOrTwiceIsRefused() {
        RecordingNotifier n = new RecordingNotifier();
        RecordingNotifier stranger = new RecordingNotifier();
        mm.register(n);
        assertMessage(assertThrows(NotRegisteredException.class, () -> mm.unregister(stranger)), "not registered");
        assertEquals(List.of(), stranger.calls());
        assertEquals(1, mm.notifiers().notifierCount());
        Mm other = newMm();
        assertThrows(NotRegisteredException.class, () -> other.unregister(n));
        assertEquals(List.of(), n.calls(), "unregister on the wrong mm released the notifier");
        mm.unregister(n);
        assertThrows(NotRegisteredException.class, () -> mm.unregister(n));
        assertEquals(List.of("release"), n.calls());
    }

    @Test
    void registeringOnADeadMmIsRefused() {
        mm.mmput();
        assertFalse(mm.isAlive());
        assertMessage(assertThrows(MmDeadException.class, () -> mm.register(new RecordingNotifier())), "exit");
        assertThrows(MmDeadException.class, () -> mm.get(m -> new RecordingNotifier()));
        assertThrows(MmDeadException.class, () -> mm.insertInterval(0, PAGE, NOP));
        assertThrows(MmDeadException.class, mm::mmget);
        assertEquals(0, mm.notifiers().notifierCount());
    }

    @Test
    void registerLockedWithoutTheLockIsRefused() {
        assertMessage(assertThrows(IllegalMonitorStateException.class, () -> mm.registerLocked(new RecordingNotifier())),
                "mmap_lock");
        mm.mmapLock().readLock().lock();
        try {
            assertThrows(IllegalMonitorStateException.class, () -> mm.registerLocked(new RecordingNotifier()));
            assertThrows(IllegalMonitorStateException.class, () -> mm.getLocked(m -> new RecordingNotifier()));
        } finally {
            mm.mmapLock().readLock().unlock();
        }
        assertEquals(0, mm.notifiers().notifierCount());
    }

    @Test
    void nullsAreRefusedByName() {
        assertMessage(assertThrows(NullPointerException.class, () -> mm.register(null)), "notifier");
        assertMessage(assertThrows(NullPointerException.class, () -> mm.unregister(null)), "notifier");
        assertMessage(assertThrows(NullPointerException.class, () -> mm.get(null)), "ops");
        assertMessage(assertThrows(NullPointerException.class, () -> mm.put(null)), "notifier");
        assertMessage(assertThrows(NullPointerException.class, () -> mm.insertInterval(0, PAGE, null)), "notifier");
        assertMessage(assertThrows(NullPointerException.class, () -> core.registerRmap(null)), "notifier");
        MmuNotifierOps<RecordingNotifier> nullAllocator = m -> null;
        assertMessage(assertThrows(NullPointerException.class, () -> mm.get(nullAllocator)), "allocNotifier returned null");
        assertEquals(0, mm.notifiers().notifierCount());
    }

    @Test
    void unregisterOfAGetRegistrationAndPutOfAStrangerAreRefused() {
        RecordingNotifier shared = mm.get(m -> new RecordingNotifier());
        assertMessage(assertThrows(NotRegisteredException.class, () -> mm.unregister(shared)), "put()");
        RecordingNotifier plain = new RecordingNotifier();
        mm.register(plain);
        assertMessage(assertThrows(NotRegisteredException.class, () -> mm.put(plain)), "not obtained from get()");
        assertEquals(2, mm.notifiers().notifierCount());
        assertEquals(List.of(), plain.calls());
    }

    @Test
    void rmapNotifiersOnThe32BitLayoutAreRefused() {
        try (NotifierCore core32 = new NotifierCore(PageLayout.BITS_32)) {
            UnsupportedPageFlagException e = assertThrows(UnsupportedPageFlagException.class,
                    () -> core32.registerRmap(page -> { }));
            assertMessage(e, "rmap notifiers cannot be registered");
            assertMessage(e, "PG_external_rmap");
            assertEquals(0, core32.rmapNotifierCount());
        }
    }

    @Test
    void removingAnIntervalTwiceIsRefused() {
        var sub = mm.insertInterval(0, PAGE, NOP);
        sub.remove();
        assertMessage(assertThrows(NotRegisteredException.class, sub::remove), "removed already");
        assertEquals(0, mm.notifiers().intervalCount());
    }
}
