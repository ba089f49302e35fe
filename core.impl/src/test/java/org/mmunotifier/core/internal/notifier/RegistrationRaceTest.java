package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Mm;

/**
 * Invariant 6: a driver registering while the primary is invalidating cannot end up mapping a
 * page that invalidation frees. The primary unmaps and refaults in a loop; a stream of mirrors
 * registers and at once starts accessing pages, faulting them in with KVM's in_progress/seq
 * protocol.
 */
class RegistrationRaceTest {
    private final NotifierCore core = new NotifierCore(PageLayout.BITS_64);
    private final MiniPrimary primary = new MiniPrimary(new Mm(core));

    @AfterEach
    void close() {
        core.close();
    }

    /** A secondary MMU that mirrors ptes with KVM's invalidate/retry protocol. */
    final class Mirror implements MmuNotifier, MiniPrimary.Secondary {
        private final Map<Integer, Long> spte = new HashMap<>(); // guarded by this
        private int inProgress; // guarded by this
        private long seq; // guarded by this

        @Override
        public synchronized boolean invalidateRangeStart(MmuNotifierRange range) {
            inProgress++;
            spte.keySet().removeIf(i -> range.contains(i * PAGE));
            return true;
        }

        @Override
        public synchronized void invalidateRangeEnd(MmuNotifierRange range) {
            seq++;
            inProgress--;
        }

        @Override
        public synchronized void release(MmStruct m) {
            spte.clear();
        }

        /** A device access: through the mirror if mapped, else a fault (GUP, then the retry check). */
        void access(int index) {
            long s;
            synchronized (this) {
                Long entry = spte.get(index);
                if (entry != null) {
                    primary.access(entry);
                    return;
                }
                s = seq;
            }
            long entry = primary.lookup(index);
            synchronized (this) {
                if (entry == 0 || inProgress != 0 || seq != s) {
                    return; // mmu_invalidate_retry: the fault raced an invalidation
                }
                primary.access(entry);
                spte.put(index, entry);
            }
        }

        @Override
        public synchronized boolean maps(long entry) {
            return spte.containsValue(entry);
        }
    }

    @Test
    void aDriverRegisteringDuringAnInvalidationNeverMapsAFreedPage() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        int rounds;
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("primary", () -> {
                while (!stop.get()) {
                    primary.unmapAndRefault();
                }
            });
            try {
                rounds = TestSupport.repeat(Duration.ofSeconds(3), 1_500, i -> {
                    Mirror m = new Mirror();
                    primary.secondaries.add(m);
                    primary.mm.register(m);
                    long until = System.nanoTime() + 100_000;
                    for (int k = 0; System.nanoTime() < until; k++) {
                        m.access(k % MiniPrimary.PAGES);
                    }
                    primary.mm.unregister(m);
                    primary.secondaries.remove(m);
                });
            } finally {
                stop.set(true);
            }
        }
        assertTrue(rounds > 50, "too few rounds: " + rounds);
        assertEquals(0, primary.violations.get(),
                "a secondary MMU used a page the primary freed (" + rounds + " rounds)");
    }
}
