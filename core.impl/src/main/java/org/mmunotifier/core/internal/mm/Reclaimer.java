package org.mmunotifier.core.internal.mm;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mmunotifier.core.internal.notifier.NotifierCore;
import java.util.List;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.core.internal.notifier.InvalidationRange;

/**
 * Page reclaim ({@code shrink_page_list}) with a clock over the frames. A mapped frame is
 * referenced if any pte mapping it is young or any secondary MMU says so ({@code agePage} clears
 * both: a second chance). An unreferenced frame is unmapped through the reverse map from every
 * mm, each mm's notifiers getting a per-page invalidate before the frame can go (the seed's and
 * 2.6.27's are aged once more first, as their {@code try_to_unmap_one} did); its last
 * reference then frees it, after the rmap notifiers if it is {@code PageExternalRmap}.
 *
 * <p>An mm whose {@code mmap_lock} cannot be taken at once is skipped ({@code trylock}, as the OOM
 * reaper does): reclaim runs inside allocations that hold another mm's lock.
 */
public final class Reclaimer {
    private final PhysicalMemory memory;
    private final NotifierCore notifierCore;
    private final AtomicInteger hand = new AtomicInteger();
    private final AtomicLong reclaimed = new AtomicLong();

    Reclaimer(PhysicalMemory memory, NotifierCore notifierCore) {
        this.memory = memory;
        this.notifierCore = notifierCore;
    }

    /**
     * Turns the clock at most once round for {@code target} frames to free; returns how many it
     * freed. A page referenced since the last turn loses its accessed bits and stays.
     */
    public int shrink(int target) {
        Frame[] frames = memory.frames();
        int freed = 0;
        for (int scanned = 0; scanned < frames.length && freed < target; scanned++) {
            Frame f = frames[Math.floorMod(hand.getAndIncrement(), frames.length)];
            if (f.mapCount() == 0 || !memory.tryGet(f)) {
                continue; // free, or not mapped by any pte (being faulted in or torn down)
            }
            long generation = f.generation();
            try {
                if (referenced(f)) {
                    continue;
                }
                unmapAll(f, true);
            } finally {
                memory.put(f);
            }
            if (f.generation() != generation) {
                freed++;
            }
        }
        reclaimed.addAndGet(freed);
        return freed;
    }

    /** Tries to free the frame mapped at {@code address} now, ignoring the accessed bits. */
    public boolean reclaimPage(AddressSpace mm, long address) {
        Addresses.checkPage(address);
        Frame f = mm.frameAt(address);
        if (f == null || !memory.tryGet(f)) {
            return false;
        }
        long generation = f.generation();
        try {
            unmapAll(f, false);
        } finally {
            memory.put(f);
        }
        boolean done = f.generation() != generation;
        if (done) {
            reclaimed.incrementAndGet();
        }
        return done;
    }

    public long reclaimedCount() {
        return reclaimed.get();
    }

    /** {@code folio_referenced}: tests and clears the accessed bit of every mapping, primary and secondary. */
    private static boolean referenced(Frame f) {
        boolean young = false;
        for (RmapEntry e : f.rmap()) {
            AddressSpace mm = e.mm();
            if (!mm.mmapLock().readLock().tryLock()) {
                return true; // busy: keep it for now
            }
            try {
                mm.ptl.lock();
                try {
                    long pte = mm.pageTable.get(e.address());
                    if (Pte.present(pte) && Pte.pfn(pte) == f.pfn && Pte.young(pte)) {
                        mm.pageTable.set(e.address(), pte & ~Pte.YOUNG);
                        young = true;
                    }
                } finally {
                    mm.ptl.unlock();
                }
                young |= mm.notifiers().agePage(e.address());
            } finally {
                mm.mmapLock().readLock().unlock();
            }
        }
        return young;
    }

    /**
     * {@code try_to_unmap}: clear every pte of {@code f}, telling each mm's notifiers. The caller
     * holds a reference, so the frame is freed by the caller's put, after every notifier was told.
     * With {@code checkYoung}, each pte is first checked the way the older kernels'
     * {@code try_to_unmap_one} did: the seed's and 2.6.27's notifiers are aged again, and one
     * that says young keeps the page mapped from there on ({@code SWAP_FAIL}).
     */
    private void unmapAll(Frame f, boolean checkYoung) {
        for (RmapEntry e : f.rmap()) {
            AddressSpace mm = e.mm();
            if (!mm.mmapLock().readLock().tryLock()) {
                continue;
            }
            try {
                if (checkYoung && mm.notifiers().agePageBeforeUnmap(e.address())) {
                    return;
                }
                unmapOne(f, mm, e.address());
            } finally {
                mm.mmapLock().readLock().unlock();
            }
        }
    }

    /**
     * {@code try_to_unmap_one}: a single-page {@code CLEAR} invalidation (2.6.27's
     * {@code invalidate_page}) around clearing the pte; the frame's reference is dropped after it.
     */
    private void unmapOne(Frame f, AddressSpace mm, long address) {
        boolean[] cleared = {false};
        try {
            mm.invalidate(new InvalidationRange(mm, address, address + Addresses.PAGE_SIZE, MmuNotifierEvent.CLEAR)
                    .pageOperation(), List.of(f), () -> {
                        long pte = mm.pageTable.get(address);
                        if (Pte.present(pte) && Pte.pfn(pte) == f.pfn) {
                            mm.pageTable.clear(address);
                            f.removeRmap(mm, address);
                            cleared[0] = true;
                        }
                        return cleared[0];
                    });
        } finally {
            if (cleared[0]) {
                memory.put(f); // the pte's reference: freed now if it was the last
            }
        }
    }
}
