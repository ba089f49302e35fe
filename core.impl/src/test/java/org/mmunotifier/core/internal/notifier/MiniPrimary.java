package org.mmunotifier.core.internal.notifier;

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
import java.util.function.Consumer;
import java.util.function.Function;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.core.internal.mm.Mm;

/**
 * A few ptes of one mm and the frames behind them, enough to race secondary MMUs against the
 * primary: a pte holds (frame, generation), freeing a frame bumps its generation, and a device
 * access through a mapping whose generation is stale is a violation, as is a secondary MMU still
 * mapping a frame when the primary frees it.
 */
final class MiniPrimary {
    static final int PAGES = 8;
    private static final int FRAMES = 64;

    /**
     * A secondary page table (page index to the pte entry it was made from), guarded by the
     * mirror's monitor; subclasses add the protocol that keeps it coherent.
     */
    abstract static class Mirror {
        final MiniPrimary primary;
        private final Map<Integer, Long> spte = new HashMap<>();

        Mirror(MiniPrimary primary) {
            this.primary = primary;
        }

        /** A device access to page {@code index}: through the table, or a fault. */
        abstract void access(int index);

        /** Uses the mapping if there is one (checked by the oracle); false if it must be faulted in. */
        final synchronized boolean accessMapped(int index) {
            Long entry = spte.get(index);
            if (entry == null) {
                return false;
            }
            primary.access(entry);
            return true;
        }

        /** Installs a mapping; the caller holds the monitor and has done its retry check. */
        final void install(int index, long entry) {
            primary.access(entry);
            spte.put(index, entry);
        }

        final synchronized void zap(MmuNotifierRange range) {
            spte.keySet().removeIf(i -> range.contains(i * PAGE));
        }

        final synchronized void zapAll() {
            spte.clear();
        }

        final synchronized boolean maps(long entry) {
            return spte.containsValue(entry);
        }
    }

    /**
     * Runs the primary's unmap/refault loop on another thread while, round after round, a mirror is
     * attached, accesses pages for 100 µs, and is detached. Returns the number of rounds.
     */
    <M extends Mirror> int race(Duration budget, int maxRounds, Function<MiniPrimary, M> attach, Consumer<M> detach)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("primary", () -> {
                while (!stop.get()) {
                    unmapAndRefault();
                }
            });
            try {
                return TestSupport.repeat(budget, maxRounds, i -> {
                    M m = attach.apply(this);
                    mirrors.add(m);
                    long until = System.nanoTime() + 100_000;
                    for (int k = 0; System.nanoTime() < until; k++) {
                        m.access(k % PAGES);
                    }
                    // The device is done: out of the oracle first. A detached mirror is never called
                    // again (an interval subscription's remove calls nothing), so the mappings it
                    // still holds go stale without being used; counting them as "still mapped when
                    // freed" was a false violation that showed up in 1 run in 5.
                    mirrors.remove(m);
                    detach.accept(m);
                });
            } finally {
                stop.set(true);
            }
        }
    }

    final Mm mm;
    private final AtomicLongArray pte = new AtomicLongArray(PAGES); // frame << 32 | generation; 0 = none
    private final AtomicIntegerArray generation = new AtomicIntegerArray(FRAMES);
    final AtomicInteger violations = new AtomicInteger();
    private final List<Mirror> mirrors = new CopyOnWriteArrayList<>();
    private int nextFrame = 1; // only the primary thread maps

    MiniPrimary(Mm mm) {
        this.mm = mm;
        mapAll();
    }

    /** GUP of one page: the pte under mmap_lock, or 0 if none. */
    long lookup(int index) {
        mm.mmapLock().readLock().lock();
        try {
            return pte.get(index);
        } finally {
            mm.mmapLock().readLock().unlock();
        }
    }

    /** The oracle for a device access through a mapping made from {@code entry}. */
    void access(long entry) {
        if (generation.get((int) (entry >>> 32)) != (int) entry) {
            violations.incrementAndGet();
        }
    }

    /** munmap of every page, then fresh frames mapped: the pages are freed after the range ends. */
    void unmapAndRefault() {
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
        for (long old : freed) {
            for (Mirror m : mirrors) {
                if (m.maps(old)) {
                    violations.incrementAndGet();
                }
            }
            generation.incrementAndGet((int) (old >>> 32));
        }
        mapAll();
    }

    private void mapAll() {
        mm.mmapLock().readLock().lock();
        try {
            for (int i = 0; i < PAGES; i++) {
                int frame = nextFrame;
                nextFrame = nextFrame % (FRAMES - 1) + 1;
                pte.set(i, ((long) frame << 32) | (generation.get(frame) & 0xffffffffL));
            }
        } finally {
            mm.mmapLock().readLock().unlock();
        }
    }
}
