package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Mm;

/**
 * Invariant 6: a driver registering while the primary is invalidating cannot end up mapping a
 * page that invalidation frees. A small primary MMU (ptes of (frame, generation), frames freed by
 * bumping the generation) races a stream of mirrors that register and at once start faulting
 * pages in with KVM's in_progress/seq protocol.
 */
class RegistrationRaceTest {
    private static final int PAGES = 8;
    private static final int FRAMES = 64;

    private final NotifierCore core = new NotifierCore(PageLayout.BITS_64);
    private final Mm mm = new Mm(core);
    private final AtomicLongArray pte = new AtomicLongArray(PAGES); // frame << 32 | generation, 0 = none
    private final AtomicIntegerArray generation = new AtomicIntegerArray(FRAMES);
    private final AtomicInteger violations = new AtomicInteger();
    private final List<Mirror> mirrors = new CopyOnWriteArrayList<>();
    private int nextFrame = 1;

    @AfterEach
    void close() {
        core.close();
    }

    private static long pack(int frame, int gen) {
        return ((long) frame << 32) | (gen & 0xffffffffL);
    }

    /** A secondary MMU that mirrors ptes with KVM's invalidate/retry protocol. */
    final class Mirror implements MmuNotifier {
        private final Map<Integer, Long> spte = new HashMap<>(); // guarded by this
        private int inProgress; // guarded by this
        private long seq; // guarded by this
        final AtomicInteger installed = new AtomicInteger();

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
        public synchronized void release(org.mmunotifier.api.MmStruct m) {
            spte.clear();
        }

        /** Guest access: fault the page in if it is not mirrored (GUP under mmap_lock, then retry check). */
        void fault(int index) {
            long s;
            synchronized (this) {
                if (spte.containsKey(index)) {
                    return;
                }
                s = seq;
            }
            long entry;
            mm.mmapLock().readLock().lock();
            try {
                entry = pte.get(index);
            } finally {
                mm.mmapLock().readLock().unlock();
            }
            if (entry == 0) {
                return;
            }
            synchronized (this) {
                if (inProgress != 0 || seq != s) {
                    return; // mmu_invalidate_retry: the fault raced an invalidation
                }
                int frame = (int) (entry >>> 32);
                if (generation.get(frame) != (int) entry) {
                    violations.incrementAndGet(); // about to map a frame the primary has freed
                }
                spte.put(index, entry);
                installed.incrementAndGet();
            }
        }

        /** A device access: through the mirror if mapped (the frame must be live), else a fault. */
        void access(int index) {
            synchronized (this) {
                Long entry = spte.get(index);
                if (entry != null) {
                    if (generation.get((int) (entry >>> 32)) != (int) (long) entry) {
                        violations.incrementAndGet(); // the device touched a freed frame
                    }
                    return;
                }
            }
            fault(index);
        }

        synchronized boolean maps(long entry) {
            return spte.containsValue(entry);
        }
    }

    /** munmap + refault of every page, as the primary MMU would: unmap, free, then map new frames. */
    private void unmapAndRefault() {
        List<Long> freed = new ArrayList<>();
        TestSupport.invalidate(mm, 0, PAGES * PAGE, MmuNotifierEvent.UNMAP, true, () -> {
            for (int i = 0; i < PAGES; i++) {
                long old = pte.getAndSet(i, 0);
                if (old != 0) {
                    freed.add(old);
                }
                TestSupport.spin(500); // the window a registering driver could slip into
            }
        });
        for (long old : freed) { // tlb_finish_mmu: pages are freed after the range ends
            for (Mirror m : mirrors) {
                if (m.maps(old)) {
                    violations.incrementAndGet();
                }
            }
            generation.incrementAndGet((int) (old >>> 32));
        }
        mm.mmapLock().readLock().lock();
        try {
            for (int i = 0; i < PAGES; i++) {
                int frame = nextFrame;
                nextFrame = nextFrame % (FRAMES - 1) + 1;
                pte.set(i, pack(frame, generation.get(frame)));
            }
        } finally {
            mm.mmapLock().readLock().unlock();
        }
    }

    @Test
    void aDriverRegisteringDuringAnInvalidationNeverMapsAFreedPage() throws Exception {
        unmapAndRefault();
        AtomicBoolean stop = new AtomicBoolean();
        int rounds;
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("primary", () -> {
                while (!stop.get()) {
                    unmapAndRefault();
                }
            });
            try {
                rounds = TestSupport.repeat(Duration.ofSeconds(3), 1_500, i -> {
                    Mirror m = new Mirror();
                    mirrors.add(m);
                    mm.register(m);
                    long until = System.nanoTime() + 100_000;
                    for (int k = 0; System.nanoTime() < until; k++) {
                        m.access(k % PAGES);
                    }
                    mm.unregister(m);
                    mirrors.remove(m);
                });
            } finally {
                stop.set(true);
            }
        }
        assertTrue(rounds > 50, "too few rounds: " + rounds);
        assertEquals(0, violations.get(), "a secondary MMU mapped a page the primary freed (" + rounds + " rounds)");
    }
}
