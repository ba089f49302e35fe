package org.mmunotifier.api.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PageFlagsTest {

    @Test
    void testSetClearAndTheirAtomicVariants() {
        PageFlags f = new PageFlags(PageLayout.BITS_64);
        assertFalse(f.test(PageFlag.DIRTY));
        f.set(PageFlag.DIRTY);
        assertTrue(f.test(PageFlag.DIRTY));
        assertEquals(1L << 4, f.word());
        assertTrue(f.testAndSet(PageFlag.DIRTY));
        assertFalse(f.testAndSet(PageFlag.LOCKED));
        assertTrue(f.testAndClear(PageFlag.LOCKED));
        assertFalse(f.testAndClear(PageFlag.LOCKED));
        f.clear(PageFlag.DIRTY);
        assertEquals(0, f.word());
        f.set(PageFlag.EXTERNAL_RMAP);
        assertEquals(1L << 30, f.word());
        assertEquals("[external_rmap]", f.toString());
    }

    @Test
    void externalRmapDoesNotExistOnThe32BitLayout() {
        assertTrue(PageLayout.BITS_64.supports(PageFlag.EXTERNAL_RMAP));
        assertFalse(PageLayout.BITS_32.supports(PageFlag.EXTERNAL_RMAP));
        PageFlags f = new PageFlags(PageLayout.BITS_32);
        assertFalse(f.test(PageFlag.EXTERNAL_RMAP));
        UnsupportedPageFlagException e = assertThrows(UnsupportedPageFlagException.class,
                () -> f.set(PageFlag.EXTERNAL_RMAP));
        assertTrue(e.getMessage().contains("PG_external_rmap (bit 30) does not exist on the BITS_32 page layout"),
                e.getMessage());
        assertThrows(UnsupportedPageFlagException.class, () -> f.testAndSet(PageFlag.EXTERNAL_RMAP));
        assertThrows(UnsupportedPageFlagException.class, () -> f.clear(PageFlag.EXTERNAL_RMAP));
        assertEquals(0, f.word(), "a refused set changed the word");
        // every seed-era flag below bit 24 exists on both layouts
        for (PageFlag flag : PageFlag.values()) {
            if (flag != PageFlag.EXTERNAL_RMAP) {
                assertTrue(PageLayout.BITS_32.supports(flag), flag.name());
            }
        }
    }

    @Test
    void pageDefaultsFollowTheFlagWord() {
        PageFlags flags = new PageFlags(PageLayout.BITS_64);
        Page page = new Page() {
            @Override
            public long pfn() {
                return 1;
            }

            @Override
            public PageFlags flags() {
                return flags;
            }

            @Override
            public int refCount() {
                return 1;
            }

            @Override
            public int mapCount() {
                return 1;
            }

            @Override
            public long generation() {
                return 0;
            }
        };
        assertFalse(page.isExternalRmap());
        page.setExternalRmap();
        assertTrue(page.isExternalRmap());
        page.clearExternalRmap();
        assertFalse(page.isExternalRmap());
    }

    /** Two threads flip different bits of one word: with non-atomic read-modify-write one would be lost. */
    @Test
    void concurrentSetsAndClearsOfDifferentBitsAreNotLost() throws Exception {
        PageFlags f = new PageFlags(PageLayout.BITS_64);
        CyclicBarrier go = new CyclicBarrier(2);
        AtomicInteger lost = new AtomicInteger();
        Thread a = new Thread(() -> flip(f, PageFlag.DIRTY, go, lost));
        Thread b = new Thread(() -> flip(f, PageFlag.REFERENCED, go, lost));
        a.start();
        b.start();
        a.join();
        b.join();
        assertEquals(0, lost.get());
    }

    private static void flip(PageFlags f, PageFlag flag, CyclicBarrier go, AtomicInteger lost) {
        try {
            go.await();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        for (int i = 0; i < 200_000; i++) {
            f.set(flag);
            if (!f.test(flag)) {
                lost.incrementAndGet();
            }
            f.clear(flag);
            if (f.test(flag)) {
                lost.incrementAndGet();
            }
        }
    }

    /** test_and_set_bit as a lock (PG_locked): exactly one winner per round. */
    @Test
    void testAndSetHasExactlyOneWinner() throws Exception {
        for (int round = 0; round < 2_000; round++) {
            PageFlags f = new PageFlags(PageLayout.BITS_64);
            AtomicInteger winners = new AtomicInteger();
            CyclicBarrier go = new CyclicBarrier(2);
            Runnable race = () -> {
                try {
                    go.await();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                if (!f.testAndSet(PageFlag.LOCKED)) {
                    winners.incrementAndGet();
                }
            };
            Thread a = new Thread(race);
            Thread b = new Thread(race);
            a.start();
            b.start();
            a.join();
            b.join();
            assertEquals(1, winners.get());
        }
    }
}
