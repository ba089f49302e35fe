package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.AlreadyRegisteredException;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.api.page.PageFlags;
import org.mmunotifier.api.page.PageLayout;

/** The seed's global rmap notifiers and PG_external_rmap. */
class RmapNotifierTest extends NotifierTestBase {
    record TestPage(long pfn, PageFlags flags) implements Page {
        @Override
        public int refCount() {
            return 1;
        }

        @Override
        public int mapCount() {
            return 0;
        }

        @Override
        public long generation() {
            return 0;
        }
    }

    @Test
    void onlyPagesMarkedExternalRmapReachTheRmapNotifiers() {
        List<Long> seen = new CopyOnWriteArrayList<>();
        MmuRmapNotifier peer = page -> seen.add(page.pfn());
        core.registerRmap(peer);
        TestPage exported = new TestPage(7, new PageFlags(PageLayout.BITS_64));
        TestPage local = new TestPage(8, new PageFlags(PageLayout.BITS_64));
        exported.setExternalRmap();

        core.rmapInvalidatePage(local);
        core.rmapInvalidatePage(exported);
        assertEquals(List.of(7L), seen);

        core.unregisterRmap(peer);
        core.rmapInvalidatePage(exported);
        assertEquals(List.of(7L), seen);
    }

    @Test
    void aThrowingRmapNotifierDoesNotStopTheOthers() {
        List<Long> seen = new CopyOnWriteArrayList<>();
        core.registerRmap(page -> {
            throw new IllegalStateException("boom");
        });
        core.registerRmap(page -> seen.add(page.pfn()));
        TestPage p = new TestPage(3, new PageFlags(PageLayout.BITS_64));
        p.setExternalRmap();
        core.rmapInvalidatePage(p);
        assertEquals(List.of(3L), seen);
        assertEquals("rmap invalidate_page", core.faults().recent().get(0).callback());
    }

    @Test
    void registrationErrors() {
        MmuRmapNotifier peer = page -> { };
        core.registerRmap(peer);
        assertThrows(AlreadyRegisteredException.class, () -> core.registerRmap(peer));
        assertEquals(1, core.rmapNotifierCount());
        core.unregisterRmap(peer);
        NotRegisteredException e = assertThrows(NotRegisteredException.class, () -> core.unregisterRmap(peer));
        assertTrue(e.getMessage().contains("not registered"));
    }
}
