package org.mmunotifier.core.internal.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.InvalidRangeException;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.SegmentationFaultException;
import org.mmunotifier.core.internal.notifier.InvalidationRange;

/**
 * A process address space: VMAs, the page table, and the primary-MMU operations on them, each
 * calling the notifiers where Linux does.
 *
 * <p>Locks, outermost first: {@code mmap_lock} (VMAs; read for faults, madvise and GUP, write for
 * mmap, munmap, mprotect, mremap, fork and exit), the page-table lock {@link #ptl} (ptes and the
 * reverse map entries of this mm), a frame's monitor (its rmap list). Notifiers are called with
 * {@code mmap_lock} held and the page-table lock dropped, so a driver may take its own lock in a
 * callback and call the oracle (which reads ptes without locks) while holding it.
 *
 * <p>Every invalidation is bracketed by an {@link InflightRanges} entry made before the first pte
 * changes and removed after the notifiers were told; pages are freed only after that.
 */
public final class AddressSpace extends Mm {
    private final Machine machine;
    private final PhysicalMemory memory;
    final PageTable pageTable = new PageTable();
    final Lock ptl = new ReentrantLock();
    final InflightRanges inflight;
    private final TreeMap<Long, Vma> vmas = new TreeMap<>(); // guarded by mmap_lock
    private long mmapBase = 0x10_0000_0000L; // guarded by mmap_lock: where mmap(0, …) searches from

    AddressSpace(Machine machine) {
        super(machine.notifierCore());
        this.machine = machine;
        this.memory = machine.memory();
        this.inflight = new InflightRanges(machine.invalidationCounter());
    }

    // ------------------------------------------------------------------ VMAs

    /**
     * {@code mmap} of anonymous memory. With {@code address} 0 the kernel picks the place;
     * otherwise the range must be free ({@code MAP_FIXED_NOREPLACE}).
     *
     * @return the start of the new mapping
     */
    public long mmap(long address, long length, int prot, boolean shared) {
        if (address != 0) {
            Addresses.checkRange(address, address + length);
        } else {
            Addresses.checkRange(0, length);
        }
        Vma.checkProt(prot); // before findGap moves where the next mmap(0, …) lands
        return writeLocked(() -> {
            long start = address != 0 ? address : findGap(length);
            if (address != 0 && overlaps(start, start + length)) {
                throw new InvalidRangeException("mmap of [0x" + Long.toHexString(start) + ", 0x"
                        + Long.toHexString(start + length) + ") overlaps an existing mapping");
            }
            Vma v = new Vma(start, start + length, prot, shared);
            vmas.put(start, v);
            return start;
        });
    }

    private long findGap(long length) {
        long candidate = mmapBase;
        for (Vma v : vmas.tailMap(vmas.floorKey(candidate) == null ? candidate : vmas.floorKey(candidate), true)
                .values()) {
            if (v.end() <= candidate) {
                continue;
            }
            if (v.start() >= candidate + length) {
                break;
            }
            candidate = v.end();
        }
        if (candidate + length > Addresses.TASK_SIZE) {
            throw new InvalidRangeException("no free range of 0x" + Long.toHexString(length) + " bytes left in " + this);
        }
        mmapBase = candidate + length;
        return candidate;
    }

    private boolean overlaps(long start, long end) {
        Map.Entry<Long, Vma> below = vmas.lowerEntry(end);
        return below != null && below.getValue().end() > start;
    }

    /** The VMA containing {@code address}, or null (mmap_lock held). */
    Vma findVma(long address) {
        Map.Entry<Long, Vma> e = vmas.floorEntry(address);
        return e != null && e.getValue().end() > address ? e.getValue() : null;
    }

    /** A snapshot of the VMAs in address order. */
    public List<Vma> vmas() {
        mmapLock().readLock().lock();
        try {
            return List.copyOf(vmas.values());
        } finally {
            mmapLock().readLock().unlock();
        }
    }

    /** Splits VMAs so that none straddles {@code address} (mmap_lock held for write). */
    private void splitAt(long address) {
        Vma v = findVma(address);
        if (v != null && v.start() != address) {
            vmas.put(v.start(), v.withRange(v.start(), address));
            vmas.put(address, v.withRange(address, v.end()));
        }
    }

    private List<Vma> vmasIn(long start, long end) {
        List<Vma> out = new ArrayList<>();
        Long from = vmas.floorKey(start);
        for (Vma v : vmas.tailMap(from == null ? start : from, true).values()) {
            if (v.start() >= end) {
                break;
            }
            if (v.end() > start) {
                out.add(v);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ unmapping

    /** {@code munmap}: unmapping nothing is not an error (as in Linux). */
    public void munmap(long start, long length) {
        Addresses.checkRange(start, start + length);
        long end = start + length;
        writeLocked(() -> {
            splitAt(start);
            splitAt(end);
            List<Vma> gone = vmasIn(start, end);
            if (gone.isEmpty()) {
                return 0;
            }
            zap(gone.get(0).start(), gone.get(gone.size() - 1).end(), MmuNotifierEvent.UNMAP, null);
            for (Vma v : gone) {
                vmas.remove(v.start());
            }
            return 0;
        });
    }

    /** {@code madvise(MADV_DONTNEED)}: drop the pages, keep the mapping. */
    public void madviseDontNeed(long start, long length) {
        Addresses.checkRange(start, start + length);
        long end = start + length;
        readLocked(() -> {
            for (Vma v : vmasIn(start, end)) {
                zap(Math.max(start, v.start()), Math.min(end, v.end()), MmuNotifierEvent.CLEAR, null);
            }
            return 0;
        });
    }

    /**
     * {@code unmap_page_range}: clears the ptes of {@code [start, end)} between range start and
     * end, and frees the pages after end ({@code tlb_finish_mmu}). mmap_lock held.
     */
    private void zap(long start, long end, MmuNotifierEvent event, Object owner) {
        List<Frame> freed = new ArrayList<>();
        long[] window = inflight.add(start, end);
        InvalidationRange range = new InvalidationRange(this, start, end, event).owner(owner);
        notifiers().invalidateRangeStart(range);
        try {
            ptl.lock();
            try {
                pageTable.walk(start, end, (address, pte) -> {
                    Frame f = memory.frame(Pte.pfn(pte));
                    f.removeRmap(this, address);
                    freed.add(f);
                    return 0;
                });
            } finally {
                ptl.unlock();
            }
            tellRemoteMappers(freed);
        } finally {
            notifiers().invalidateRangeEnd(range); // always: start left a read-side section open
            inflight.remove(window);
        }
        for (Frame f : freed) {
            memory.put(f);
        }
    }

    /**
     * Pages exported to a remote peer ({@code PageExternalRmap}) that lost a pte: the peer must
     * drop its mapping while the invalidation is still in flight, not only when the page is freed.
     */
    private void tellRemoteMappers(List<Frame> unmapped) {
        for (Frame f : unmapped) {
            if (f.isExternalRmap()) {
                machine.notifierCore().rmapInvalidatePage(f);
            }
        }
    }

    // ------------------------------------------------------------------ protection and moves

    /**
     * {@code mprotect}. Taking permissions away tells the notifiers ({@code PROTECTION_VMA}) and
     * write-protects the ptes; granting them changes only the VMAs (faults upgrade ptes).
     *
     * @throws InvalidRangeException if part of the range is not mapped (ENOMEM in Linux)
     */
    public void mprotect(long start, long length, int prot) {
        Addresses.checkRange(start, start + length);
        long end = start + length;
        Vma.checkProt(prot); // before anything changes
        writeLocked(() -> {
            requireMapped(start, end, "mprotect");
            splitAt(start);
            splitAt(end);
            boolean revoking = false;
            for (Vma v : vmasIn(start, end)) {
                revoking |= (v.prot() & ~prot) != 0;
                vmas.put(v.start(), v.withProt(prot));
            }
            if (revoking) {
                changeProtection(start, end, (prot & Vma.PROT_WRITE) == 0, MmuNotifierEvent.PROTECTION_VMA);
            }
            return 0;
        });
    }

    /** Write-protects (if asked) the ptes of the range inside a range invalidation. */
    private void changeProtection(long start, long end, boolean writeProtect, MmuNotifierEvent event) {
        long[] window = inflight.add(start, end);
        InvalidationRange range = new InvalidationRange(this, start, end, event);
        notifiers().invalidateRangeStart(range);
        try {
            if (writeProtect) {
                ptl.lock();
                try {
                    pageTable.walk(start, end, (address, pte) -> pte & ~Pte.WRITE);
                } finally {
                    ptl.unlock();
                }
            }
        } finally {
            notifiers().invalidateRangeEnd(range);
            inflight.remove(window);
        }
    }

    private void requireMapped(long start, long end, String op) {
        long at = start;
        for (Vma v : vmasIn(start, end)) {
            if (v.start() > at) {
                break;
            }
            at = v.end();
        }
        if (at < end) {
            throw new InvalidRangeException(op + " of [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") covers unmapped memory at 0x" + Long.toHexString(at));
        }
    }

    /**
     * {@code mremap(old, len, len, MREMAP_MAYMOVE|MREMAP_FIXED, new)}: moves the pages of one VMA
     * (or a part of it) to a free range. The old range is invalidated ({@code UNMAP}).
     */
    public void mremap(long oldStart, long length, long newStart) {
        Addresses.checkRange(oldStart, oldStart + length);
        Addresses.checkRange(newStart, newStart + length);
        long oldEnd = oldStart + length;
        writeLocked(() -> {
            Vma v = findVma(oldStart);
            if (v == null || v.end() < oldEnd) {
                throw new InvalidRangeException("mremap of [0x" + Long.toHexString(oldStart) + ", 0x"
                        + Long.toHexString(oldEnd) + ") is not inside one mapping");
            }
            if (overlaps(newStart, newStart + length)) {
                throw new InvalidRangeException("mremap target [0x" + Long.toHexString(newStart) + ", 0x"
                        + Long.toHexString(newStart + length) + ") overlaps an existing mapping");
            }
            splitAt(oldStart);
            splitAt(oldEnd);
            Vma moving = findVma(oldStart);
            long delta = newStart - oldStart;
            long[] window = inflight.add(oldStart, oldEnd);
            InvalidationRange range = new InvalidationRange(this, oldStart, oldEnd, MmuNotifierEvent.UNMAP);
            notifiers().invalidateRangeStart(range);
            List<Frame> movedFrames = new ArrayList<>();
            try {
            ptl.lock();
            try {
                List<long[]> moved = new ArrayList<>();
                pageTable.walk(oldStart, oldEnd, (address, pte) -> {
                    moved.add(new long[] {address, pte});
                    return 0;
                });
                for (long[] m : moved) { // move_ptes
                    pageTable.set(m[0] + delta, m[1]);
                    Frame f = memory.frame(Pte.pfn(m[1]));
                    f.removeRmap(this, m[0]);
                    f.addRmap(this, m[0] + delta);
                    movedFrames.add(f);
                }
            } finally {
                ptl.unlock();
            }
            tellRemoteMappers(movedFrames);
            } finally {
                notifiers().invalidateRangeEnd(range);
                inflight.remove(window);
            }
            vmas.remove(oldStart);
            vmas.put(newStart, moving.withRange(newStart, newStart + length));
            return 0;
        });
    }

    // ------------------------------------------------------------------ fork

    /**
     * {@code fork}: a child with a copy of the VMAs sharing every page. Private writable pages
     * become copy-on-write: the parent's ptes are write-protected inside a
     * {@code PROTECTION_PAGE} invalidation (its secondary MMUs must stop writing), and the first
     * write on either side copies the page.
     */
    AddressSpace forkInto(AddressSpace child) {
        writeLocked(() -> {
            child.mmapBase = mmapBase;
            for (Vma v : vmas.values()) {
                child.vmas.put(v.start(), v);
                long[] window = v.isCow() ? inflight.add(v.start(), v.end()) : null;
                InvalidationRange range = null;
                if (v.isCow()) {
                    range = new InvalidationRange(this, v.start(), v.end(), MmuNotifierEvent.PROTECTION_PAGE);
                    notifiers().invalidateRangeStart(range);
                }
                try {
                    ptl.lock();
                    child.ptl.lock();
                    try {
                        pageTable.walk(v.start(), v.end(), (address, pte) -> {
                            Frame f = memory.frame(Pte.pfn(pte));
                            memory.get(f);
                            f.addRmap(child, address);
                            long shared = v.isCow() ? pte & ~Pte.WRITE : pte;
                            child.pageTable.set(address, shared & ~Pte.YOUNG);
                            return shared;
                        });
                    } finally {
                        child.ptl.unlock();
                        ptl.unlock();
                    }
                } finally {
                    if (range != null) {
                        notifiers().invalidateRangeEnd(range);
                        inflight.remove(window);
                    }
                }
            }
            return 0;
        });
        return child;
    }

    // ------------------------------------------------------------------ faults and access

    /** A CPU load: faults the page in if needed, sets the accessed bit. */
    public long read(long address) {
        return readLocked(() -> access(address, false, 0, false));
    }

    /** A CPU store: faults in or copies the page (COW) if needed, sets accessed and dirty. */
    public void write(long address, long value) {
        readLocked(() -> access(address, true, value, false));
    }

    /** A CPU touch without data (the fault and the young/dirty bits only). */
    public void touch(long address, boolean write) {
        readLocked(() -> access(address, write, 0, true));
    }

    @Override
    public MappedFrame[] faultRange(long start, long end, boolean write) {
        Addresses.checkRange(start, end);
        long pages = (end - start) >>> Addresses.PAGE_SHIFT;
        MappedFrame[][] out = new MappedFrame[1][];
        readLocked(() -> {
            // The whole range must be mapped with the right to access it before anything is
            // faulted in or allocated: an array for [0, TASK_SIZE) would not even fit in memory.
            requireAccessible(start, end, write);
            if (pages > MAX_FAULT_PAGES) {
                throw new InvalidRangeException("faultRange of [0x" + Long.toHexString(start) + ", 0x"
                        + Long.toHexString(end) + ") is " + pages + " pages: at most " + MAX_FAULT_PAGES + " per call");
            }
            MappedFrame[] frames = new MappedFrame[(int) pages];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = faultIn(start + ((long) i << Addresses.PAGE_SHIFT), write);
            }
            out[0] = frames;
            return 0;
        });
        return out[0];
    }

    /** Pages one {@link #faultRange} may return (4 GiB of address space). */
    public static final int MAX_FAULT_PAGES = 1 << 20;

    /** mmap_lock held: every page of the range is in a VMA that allows the access. */
    private void requireAccessible(long start, long end, boolean write) {
        long at = start;
        for (Vma v : vmasIn(start, end)) {
            if (v.start() > at) {
                break;
            }
            if (write ? !v.writable() : !v.readable()) {
                throw new SegmentationFaultException(Math.max(at, v.start()), (write ? "write to " : "read of ") + v
                        + " (" + Vma.protString(v.prot()) + ")");
            }
            at = v.end();
            if (at >= end) {
                return;
            }
        }
        throw new SegmentationFaultException(at, "no mapping in " + this);
    }

    private MappedFrame faultIn(long address, boolean write) {
        while (true) {
            ptl.lock();
            try {
                long pte = pageTable.get(address);
                if (Pte.present(pte) && (!write || Pte.writable(pte))) {
                    Frame f = memory.frame(Pte.pfn(pte));
                    pageTable.set(address, pte | Pte.YOUNG | (write ? Pte.DIRTY : 0));
                    return new MappedFrame(address, f.pfn, f.generation(), Pte.writable(pte));
                }
            } finally {
                ptl.unlock();
            }
            handleFault(address, write);
        }
    }

    /** mmap_lock held for read. */
    private long access(long address, boolean write, long value, boolean touchOnly) {
        long page = address & Addresses.PAGE_MASK;
        while (true) {
            ptl.lock();
            try {
                long pte = pageTable.get(page);
                if (Pte.present(pte) && (!write || Pte.writable(pte))) {
                    pageTable.set(page, pte | Pte.YOUNG | (write ? Pte.DIRTY : 0));
                    Frame f = memory.frame(Pte.pfn(pte));
                    if (touchOnly) {
                        return 0;
                    }
                    if (write) {
                        f.data.set(value);
                        return value;
                    }
                    return f.data.get();
                }
            } finally {
                ptl.unlock();
            }
            handleFault(page, write);
        }
    }

    /**
     * {@code handle_mm_fault} for a page that is absent, or present read-only under a write
     * (mmap_lock held for read). Returns once a pte that allows the access was installed, or
     * another thread's was; the caller looks again.
     */
    private void handleFault(long address, boolean write) {
        Vma v = findVma(address);
        if (v == null) {
            throw new SegmentationFaultException(address, "no mapping in " + this);
        }
        if (write ? !v.writable() : !v.readable()) {
            throw new SegmentationFaultException(address, (write ? "write to " : "read of ") + v + " ("
                    + Vma.protString(v.prot()) + ")");
        }
        long pte;
        ptl.lock();
        try {
            pte = pageTable.get(address);
            if (Pte.present(pte)) {
                Frame old = memory.frame(Pte.pfn(pte));
                if (!v.isCow() || old.mapCount() == 1) {
                    // Shared memory, or a COW page no one else maps any more: write in place.
                    pageTable.set(address, pte | Pte.WRITE);
                    return;
                }
                memory.get(old); // keep it alive while we copy it without the lock
            }
        } finally {
            ptl.unlock();
        }
        if (Pte.present(pte)) {
            copyOnWrite(address, pte);
        } else {
            faultNew(address, v);
        }
    }

    /** {@code do_anonymous_page}. */
    private void faultNew(long address, Vma v) {
        Frame f = memory.alloc();
        ptl.lock();
        try {
            if (pageTable.get(address) == 0) {
                pageTable.set(address, Pte.make(f.pfn, v.writable()));
                f.addRmap(this, address);
                return;
            }
        } finally {
            ptl.unlock();
        }
        memory.put(f); // another thread faulted it in first
    }

    /**
     * {@code wp_page_copy}: break COW at {@code address}, whose pte was {@code pte} and whose frame
     * the caller holds a reference on. The secondary MMUs get a per-page invalidate for the old
     * frame before it can be freed.
     */
    private void copyOnWrite(long address, long pte) {
        Frame old = memory.frame(Pte.pfn(pte));
        Frame copy;
        try {
            copy = memory.alloc();
        } catch (RuntimeException e) {
            memory.put(old);
            throw e;
        }
        copy.data.set(old.data.get());
        long[] window = inflight.add(address, address + Addresses.PAGE_SIZE);
        boolean replaced = false;
        try {
            ptl.lock();
            try {
                replaced = pageTable.get(address) == pte;
                if (replaced) {
                    pageTable.set(address, Pte.make(copy.pfn, true));
                    old.removeRmap(this, address);
                    copy.addRmap(this, address);
                }
            } finally {
                ptl.unlock();
            }
            if (replaced) {
                notifiers().invalidatePage(address);
                tellRemoteMappers(List.of(old));
            }
        } finally {
            inflight.remove(window);
            memory.put(replaced ? old : copy); // the old pte's reference, or the copy nobody maps
            memory.put(old); // ours
        }
    }

    // ------------------------------------------------------------------ exit

    /**
     * {@code exit_mmap}: release every notifier (before anything is unmapped, without
     * {@code mmap_lock}, so a release that waits for a device thread blocked on the lock cannot
     * deadlock), then tear down every mapping and free the pages. Interval notifiers see the
     * teardown as one {@code UNMAP} of the whole address space.
     */
    @Override
    protected void exitMmap() {
        super.exitMmap();
        if (machine.notifierCore().lockBounded(mmapLock().writeLock(), "exit of " + this + " waits for its mmap_lock",
                id())) {
            tearDown();
            return;
        }
        // Its holder is stuck (in a driver's callback, reported by the watchdog): exit returns, and
        // the teardown runs when the lock comes free, as the OOM reaper would.
        System.getLogger(AddressSpace.class.getName()).log(System.Logger.Level.ERROR, "exit of " + this
                + ": mmap_lock is held by a stuck thread (see mmu:stalls); its teardown waits for it in the background");
        Thread reaper = new Thread(() -> {
            mmapLock().writeLock().lock();
            tearDown();
        }, "mm-reaper-" + id());
        reaper.setDaemon(true);
        reaper.start();
    }

    /** Unmaps everything and frees the pages; mmap_lock held for write, released here. */
    private void tearDown() {
        try {
            if (!vmas.isEmpty()) {
                zap(0, Addresses.TASK_SIZE, MmuNotifierEvent.UNMAP, null);
                vmas.clear();
            }
        } finally {
            mmapLock().writeLock().unlock();
            machine.forget(this);
        }
    }

    // ------------------------------------------------------------------ introspection

    /** The pte at {@code address} as text, for tests and the shell. */
    public String describePte(long address) {
        return Pte.describe(pageTable.get(address));
    }

    /** The frame mapped at {@code address}, or null. */
    public Frame frameAt(long address) {
        long pte = pageTable.get(address);
        return Pte.present(pte) ? memory.frame(Pte.pfn(pte)) : null;
    }

    public boolean isWritableAt(long address) {
        return Pte.writable(pageTable.get(address));
    }

    /** Resident pages. */
    public long rss() {
        ptl.lock();
        try {
            return pageTable.presentCount();
        } finally {
            ptl.unlock();
        }
    }

    /** Page-table pages (the PGD included). */
    public long pageTableCount() {
        ptl.lock();
        try {
            return pageTable.tableCount();
        } finally {
            ptl.unlock();
        }
    }

    /** Ptes a walk of {@code [start, end)} visits: what an munmap of it would touch. */
    public long ptesIn(long start, long end) {
        Addresses.checkRange(start, end);
        ptl.lock();
        try {
            return pageTable.walk(start, end, (a, pte) -> pte);
        } finally {
            ptl.unlock();
        }
    }

    // ------------------------------------------------------------------ locking helpers

    interface LockedOp {
        long run();
    }

    private long readLocked(LockedOp op) {
        mmapLock().readLock().lock();
        try {
            requireAlive();
            return op.run();
        } finally {
            mmapLock().readLock().unlock();
        }
    }

    private long writeLocked(LockedOp op) {
        mmapLock().writeLock().lock();
        try {
            requireAlive();
            return op.run();
        } finally {
            mmapLock().writeLock().unlock();
        }
    }

    private void requireAlive() {
        if (!isAlive()) {
            throw new MmDeadException(this + " has exited");
        }
    }
}
