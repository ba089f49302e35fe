package org.mmunotifier.core.internal.notifier;

import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import org.mmunotifier.api.MmuNotifierEvent;
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

    /** What the primary asks of a secondary MMU when it frees a frame. */
    interface Secondary {
        boolean maps(long entry);
    }

    final Mm mm;
    private final AtomicLongArray pte = new AtomicLongArray(PAGES); // frame << 32 | generation; 0 = none
    private final AtomicIntegerArray generation = new AtomicIntegerArray(FRAMES);
    final AtomicInteger violations = new AtomicInteger();
    final List<Secondary> secondaries = new CopyOnWriteArrayList<>();
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
            for (Secondary s : secondaries) {
                if (s.maps(old)) {
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
