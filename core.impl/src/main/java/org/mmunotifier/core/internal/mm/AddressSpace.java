package org.mmunotifier.core.internal.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.InvalidRangeException;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmBusyException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.SegmentationFaultException;
import org.mmunotifier.api.SpinLock;
import org.mmunotifier.core.internal.jfr.Trace;
import org.mmunotifier.core.internal.notifier.InvalidationRange;
import org.mmunotifier.core.internal.notifier.Told;
import org.mmunotifier.core.internal.oracle.DeviceFaults;
import org.mmunotifier.core.internal.oracle.InFlight;
import org.mmunotifier.core.internal.oracle.InvalidationHistory;
import org.mmunotifier.core.internal.oracle.PrimaryMmu;

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
public final class AddressSpace extends Mm implements PrimaryMmu {
    private final Machine machine;
    private final PhysicalMemory memory;
    final PageTable pageTable = new PageTable();
    final Lock ptl = new SpinLock(); // a spinlock in the kernel
    final InflightRanges inflight;
    final InvalidationHistory history = new InvalidationHistory();
    final DeviceFaults deviceFaults = new DeviceFaults();
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
            zap(gone.get(0).start(), gone.get(gone.size() - 1).end(), MmuNotifierEvent.UNMAP);
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
                zap(Math.max(start, v.start()), Math.min(end, v.end()), MmuNotifierEvent.CLEAR);
            }
            return 0;
        });
    }

    /**
     * {@code unmap_page_range}: clears the ptes of {@code [start, end)} inside one invalidation, and
     * frees the pages after it ended ({@code tlb_finish_mmu}). mmap_lock held.
     *
     * @return false if a non-blockable invalidation was refused (nothing changed)
     */
    private boolean zap(InvalidationRange range) {
        List<Frame> freed = new ArrayList<>();
        boolean done = invalidate(range, freed, () -> pageTable.walk(range.start(), range.end(), (address, pte) -> {
            Frame f = memory.frame(Pte.pfn(pte));
            f.removeRmap(this, address);
            freed.add(f);
            return 0;
        }) > 0);
        for (Frame f : freed) {
            memory.put(f);
        }
        return done;
    }

    private void zap(long start, long end, MmuNotifierEvent event) {
        zap(new InvalidationRange(this, start, end, event));
    }

    /** What an invalidation does to the ptes, page-table lock held; whether any pte changed. */
    interface PteChange {
        boolean apply();
    }

    /**
     * One primary operation that takes mappings away, told to the notifiers the way each contract
     * has it (see {@link org.mmunotifier.core.internal.notifier.MmNotifierSubscriptions}): range
     * start; the pte changes and the secondary-TLB flush under the page-table lock; the older
     * contracts' page or range call and the remote mappers of {@code unmapped} frames (those that
     * lost a pte or a right) with the lock dropped; range end. The whole operation is in flight for the oracle, and the caller frees
     * pages only after this returns. The adversary may stall it between start and the pte
     * changes. Callers hold mmap_lock (or, for reclaim, a reference on the frame).
     *
     * @return false if a non-blockable start was refused: the ptes were left alone
     */
    boolean invalidate(InvalidationRange range, List<Frame> unmapped, PteChange change) {
        InFlight window = inflight.add(range);
        try {
            if (!notifiers().invalidateRangeStart(range)) {
                return false;
            }
            try {
                machine.adversary().afterInvalidationStart();
                boolean changed;
                ptl.lock();
                try {
                    pageTable.stamping(window.tick());
                    try {
                        changed = change.apply();
                    } finally {
                        pageTable.stamping(0);
                    }
                    if (changed) {
                        notifiers().flushSecondaryTlbs(range); // arch_invalidate_secondary_tlbs: ptl held
                    }
                } finally {
                    ptl.unlock();
                }
                if (changed) {
                    notifiers().ptesChanged(range);
                    tellRemoteMappers(unmapped);
                }
            } finally {
                notifiers().invalidateRangeEnd(range); // always: start left a read-side section open
            }
            return true;
        } finally {
            // Into the history before it leaves the in-flight list: the oracle finds it in one.
            Told told = range.told();
            if (told != null) {
                history.add(new InvalidationHistory.Finished(range.start(), range.end(), window.tick(), range.event(),
                        told.heard()));
            }
            inflight.remove(window);
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
     * write-protects the ptes, or for {@code PROT_NONE} makes them inaccessible (the page stays,
     * {@code pte_protnone}); granting them changes only the VMAs (faults upgrade ptes).
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
                changeProtection(new InvalidationRange(this, start, end, MmuNotifierEvent.PROTECTION_VMA),
                        protBits(prot));
            }
            return 0;
        });
    }

    /** The pte bits a protection takes away: write, or for PROT_NONE every access. */
    private static long protBits(int prot) {
        if ((prot & (Vma.PROT_READ | Vma.PROT_WRITE | Vma.PROT_EXEC)) == 0) {
            return Pte.WRITE | Pte.ACCESS;
        }
        return (prot & Vma.PROT_WRITE) == 0 ? Pte.WRITE : 0;
    }

    /**
     * Takes {@code bits} away from the ptes of the range inside one invalidation. Frames whose pte
     * lost a right are told to remote mappers too (as the seed's {@code page_mkclean} told them of
     * a write-protect): a peer that read a page the process made PROT_NONE would see what the
     * process itself no longer may.
     */
    private void changeProtection(InvalidationRange range, long bits) {
        List<Frame> downgraded = new ArrayList<>();
        invalidate(range, downgraded, () -> bits != 0 && pageTable.walk(range.start(), range.end(), (address, pte) -> {
            long now = pte & ~bits;
            if (now != pte) {
                downgraded.add(memory.frame(Pte.pfn(pte)));
            }
            return now;
        }) > 0);
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
     * (or a part of it) to a free range. The old range is invalidated ({@code UNMAP}) around the
     * move ({@code move_page_tables}), then again, empty, when the old VMA is unmapped.
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
            List<Frame> movedFrames = new ArrayList<>();
            invalidate(new InvalidationRange(this, oldStart, oldEnd, MmuNotifierEvent.UNMAP), movedFrames, () -> {
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
                return !moved.isEmpty();
            });
            // move_vma then unmaps the old VMA (do_munmap, do_vmi_munmap): its UNMAP invalidation
            // finds no pte left there.
            zap(oldStart, oldEnd, MmuNotifierEvent.UNMAP);
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
                PteChange copy = () -> {
                    child.ptl.lock();
                    try {
                        return pageTable.walk(v.start(), v.end(), (address, pte) -> {
                            Frame f = memory.frame(Pte.pfn(pte));
                            memory.get(f);
                            f.addRmap(child, address);
                            long shared = v.isCow() ? pte & ~Pte.WRITE : pte;
                            child.pageTable.set(address, shared & ~Pte.YOUNG);
                            return shared;
                        }) > 0;
                    } finally {
                        child.ptl.unlock();
                    }
                };
                if (v.isCow()) {
                    invalidate(new InvalidationRange(this, v.start(), v.end(), MmuNotifierEvent.PROTECTION_PAGE),
                            List.of(), copy);
                } else {
                    ptl.lock();
                    try {
                        copy.apply(); // shared memory: nothing the parent's secondary MMUs map changes
                    } finally {
                        ptl.unlock();
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
        MappedFrame[] frames = tracedFault(start, end, write);
        recordFault(frames, start, end, write);
        // The window where a missing retry hurts: the snapshot is out, the driver has not installed it.
        machine.adversary().afterFault(this, start, end);
        return frames;
    }

    /**
     * The device engines' bounded fault ({@code MmStruct}'s, with the record and the adversary
     * after the lock is dropped: inside it the adversary would be skipped, since a fault under
     * {@code mmap_lock} cannot meet an invalidation, and a writer would wait on the record).
     */
    @Override
    public MappedFrame[] faultRange(long start, long end, boolean write, long timeout, TimeUnit unit) {
        Lock read = mmapLock().readLock();
        try {
            if (!read.tryLock(timeout, unit)) {
                throw new MmBusyException("mm " + id() + ": mmap_lock stayed held for " + unit.toMillis(timeout)
                        + " ms; fault of [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") not done");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MmBusyException("mm " + id() + ": interrupted while waiting for mmap_lock");
        }
        MappedFrame[] frames;
        try {
            frames = tracedFault(start, end, write);
        } finally {
            read.unlock();
        }
        recordFault(frames, start, end, write);
        machine.adversary().afterFault(this, start, end);
        return frames;
    }

    /**
     * For a violation report: who made this snapshot, from where, at the lowest sequence of the
     * range (every page's snapshot is at or after it). After {@code mmap_lock} is dropped where we
     * took it: the driver has not seen the snapshot yet, so no access can need the record sooner.
     */
    private void recordFault(MappedFrame[] frames, long start, long end, boolean write) {
        deviceFaults.record(start, end, frames.length == 0 ? 0 : frames[0].seq(), write);
    }

    private MappedFrame[] tracedFault(long start, long end, boolean write) {
        Object event = Trace.beginDeviceFault();
        MappedFrame[] frames;
        try {
            frames = fault(start, end, write);
        } catch (RuntimeException | Error e) {
            Trace.deviceFaulted(event, id(), start, end, write, e);
            throw e;
        }
        Trace.deviceFaulted(event, id(), start, end, write, null);
        return frames;
    }

    /** The fault itself, under mmap_lock for read (reentrant: a bounded caller already holds it). */
    private MappedFrame[] fault(long start, long end, boolean write) {
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
                if (Pte.usable(pte, write)) {
                    Frame f = memory.frame(Pte.pfn(pte));
                    pageTable.set(address, pte | Pte.YOUNG | (write ? Pte.DIRTY : 0));
                    // The sequence read under the ptl: every invalidation that changes this pte
                    // later has a higher tick.
                    return new MappedFrame(address, f.pfn, f.generation(), Pte.writable(pte), inflight.sequence());
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
                if (Pte.usable(pte, write)) {
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
     * {@code handle_mm_fault} for a page that is absent, or present but not usable for the access:
     * read-only under a write, {@code PROT_NONE}, or held by a device exclusively (mmap_lock held
     * for read). The VMA decides: an access it forbids is a segmentation fault, whatever the pte.
     * Returns once a pte that allows the access was installed, or another thread's was; the caller
     * looks again.
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
            if (Pte.present(pte) && !Pte.exclusive(pte)) {
                if (!Pte.accessible(pte)) {
                    // PROT_NONE lifted since (do_numa_page's restore): the pte grants access again.
                    pte |= Pte.ACCESS;
                    pageTable.set(address, pte);
                }
                if (!write || Pte.writable(pte)) {
                    return;
                }
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
        if (Pte.present(pte) && Pte.exclusive(pte)) {
            restoreExclusive(address, pte);
        } else if (Pte.present(pte)) {
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
     * the caller holds a reference on: a single-page {@code CLEAR} invalidation around the pte
     * switch (2.6.27's {@code invalidate_page}, the seed's {@code invalidate_range}), the old frame
     * freed after it.
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
        boolean[] replaced = {false};
        try {
            invalidate(new InvalidationRange(this, address, address + Addresses.PAGE_SIZE, MmuNotifierEvent.CLEAR)
                    .copyOnWrite(), List.of(old), () -> {
                        replaced[0] = pageTable.get(address) == pte;
                        if (replaced[0]) {
                            pageTable.set(address, Pte.make(copy.pfn, true));
                            old.removeRmap(this, address);
                            copy.addRmap(this, address);
                        }
                        return replaced[0];
                    });
        } finally {
            memory.put(replaced[0] ? old : copy); // the old pte's reference, or the copy nobody maps
            memory.put(old); // ours
        }
    }

    /**
     * A CPU (or GUP) access to a page a device holds exclusively ({@code remove_device_exclusive_entry}):
     * an {@code EXCLUSIVE} invalidation with no owner, then the pte is the CPU's again.
     */
    private void restoreExclusive(long address, long pte) {
        invalidate(new InvalidationRange(this, address, address + Addresses.PAGE_SIZE, MmuNotifierEvent.EXCLUSIVE),
                List.of(), () -> {
                    if (pageTable.get(address) != pte) {
                        return false;
                    }
                    pageTable.set(address, pte & ~Pte.EXCLUSIVE);
                    return true;
                });
    }

    // ------------------------------------------------------------------ the rest of the kernel's call sites

    /**
     * {@code make_device_exclusive}: faults {@code [start, end)} in for writing, then takes it away
     * from the CPU and every other secondary MMU in one {@code EXCLUSIVE} invalidation naming
     * {@code owner} (the device may skip its own), and returns the pages for the owner's device. A
     * CPU access or a fault by anyone restores a page (another {@code EXCLUSIVE} invalidation).
     */
    @Override
    public MappedFrame[] makeDeviceExclusive(long start, long end, Object owner) {
        Addresses.checkRange(start, end);
        MappedFrame[][] out = new MappedFrame[1][];
        readLocked(() -> {
            requireAccessible(start, end, true);
            long pages = (end - start) >>> Addresses.PAGE_SHIFT;
            if (pages > MAX_FAULT_PAGES) {
                throw new InvalidRangeException("makeDeviceExclusive of " + pages + " pages: at most " + MAX_FAULT_PAGES);
            }
            for (long a = start; a < end; a += Addresses.PAGE_SIZE) {
                faultIn(a, true);
            }
            invalidate(new InvalidationRange(this, start, end, MmuNotifierEvent.EXCLUSIVE).owner(owner), List.of(),
                    () -> pageTable.walk(start, end, (a, pte) -> pte | Pte.EXCLUSIVE) > 0);
            MappedFrame[] frames = new MappedFrame[(int) pages];
            ptl.lock();
            try {
                for (int i = 0; i < frames.length; i++) {
                    long a = start + ((long) i << Addresses.PAGE_SHIFT);
                    long pte = pageTable.get(a);
                    if (!Pte.present(pte) || !Pte.exclusive(pte)) {
                        throw new SegmentationFaultException(a, "the page went while it was made exclusive");
                    }
                    Frame f = memory.frame(Pte.pfn(pte));
                    frames[i] = new MappedFrame(a, f.pfn, f.generation(), Pte.writable(pte), inflight.sequence());
                }
            } finally {
                ptl.unlock();
            }
            out[0] = frames;
            return 0;
        });
        return out[0];
    }

    /**
     * {@code clear_refs} type 4 (soft-dirty): write-protects every pte in one {@code SOFT_DIRTY}
     * invalidation of the whole address space, so the next write to each page faults.
     */
    public void clearSoftDirty() {
        writeLocked(() -> {
            changeProtection(new InvalidationRange(this, 0, Addresses.TASK_SIZE, MmuNotifierEvent.SOFT_DIRTY), Pte.WRITE);
            return 0;
        });
    }

    /**
     * Idle-page tracking and khugepaged's scan over {@code [start, end)}: for each present page
     * {@code test_young} to the 6.x notifiers, then the pte's own accessed bit cleared, then
     * {@code clear_young} to the 6.x notifiers. Returns how many pages were young.
     */
    public int scanYoung(long start, long end) {
        Addresses.checkRange(start, end);
        return (int) readLocked(() -> {
            List<Long> present = new ArrayList<>();
            ptl.lock();
            try {
                pageTable.walk(start, end, (a, pte) -> {
                    present.add(a);
                    return pte;
                });
            } finally {
                ptl.unlock();
            }
            int young = 0;
            for (long a : present) {
                boolean y = notifiers().testYoung(a); // khugepaged: referenced evidence, the pte left alone
                ptl.lock();
                try {
                    long pte = pageTable.get(a);
                    if (Pte.present(pte) && Pte.young(pte)) {
                        pageTable.set(a, pte & ~Pte.YOUNG);
                        y = true;
                    }
                } finally {
                    ptl.unlock();
                }
                // page_idle's ptep_clear_young_notify: the pte's bit first, then the secondaries'.
                y |= notifiers().clearYoung(a, a + Addresses.PAGE_SIZE);
                young += y ? 1 : 0;
            }
            return young;
        });
    }

    /**
     * The OOM reaper ({@code __oom_reap_task_mm}) on a dying process: unmaps every private VMA in a
     * non-blockable {@code UNMAP} invalidation; a VMA for which a notifier refuses is left alone
     * (its pages go with exit).
     *
     * @return how many VMAs were reaped and how many were refused
     */
    public int[] oomReap() {
        if (!mmapLock().readLock().tryLock()) {
            return new int[] {0, 0}; // mmap_read_trylock failed: the reaper tries again later
        }
        try {
            int reaped = 0;
            int refused = 0;
            for (Vma v : List.copyOf(vmas.values())) {
                if (v.shared()) {
                    continue;
                }
                if (zap(new InvalidationRange(this, v.start(), v.end(), MmuNotifierEvent.UNMAP).nonBlocking())) {
                    reaped++;
                } else {
                    refused++;
                }
            }
            return new int[] {reaped, refused};
        } finally {
            mmapLock().readLock().unlock();
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
                zap(0, Addresses.TASK_SIZE, MmuNotifierEvent.UNMAP);
                vmas.clear();
            }
        } finally {
            mmapLock().writeLock().unlock();
            machine.forget(this);
        }
    }

    // ------------------------------------------------------------------ introspection


    // ---- what the coherence oracle reads (PrimaryMmu) ----------------------------------------

    @Override
    public int mapping(long address, long pfn, boolean write) {
        long pte = pageTable.get(address);
        if (!Pte.present(pte) || Pte.pfn(pte) != pfn) {
            return NOT_MAPPED;
        }
        if (!Pte.accessible(pte)) {
            return NO_ACCESS;
        }
        return write && !Pte.writable(pte) ? READ_ONLY : MAPPED;
    }

    @Override
    public long stampOf(long address) {
        return pageTable.stampOf(address);
    }

    @Override
    public long sequence() {
        return inflight.sequence();
    }

    @Override
    public List<InFlight> inFlightCovering(long address) {
        return inflight.covering(address);
    }

    @Override
    public InFlight inFlight(long tick) {
        return inflight.byTick(tick);
    }

    @Override
    public InvalidationHistory history() {
        return history;
    }

    @Override
    public DeviceFaults deviceFaults() {
        return deviceFaults;
    }

    @Override
    public org.mmunotifier.core.internal.notifier.Identity identityOf(org.mmunotifier.api.MmuNotifier notifier) {
        return notifiers().identityOf(notifier);
    }

    /** The pte at {@code address} as text, for tests and the shell. */
    @Override
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
