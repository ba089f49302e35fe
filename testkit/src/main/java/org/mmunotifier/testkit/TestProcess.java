package org.mmunotifier.testkit;

import org.mmunotifier.api.MmStruct;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Vma;

/**
 * One process of a {@link TestMachine}, and the primary MMU's operations on it, each run to the
 * end on the calling thread, with the notifier calls the machine's contract makes for it. What
 * {@link #mm()} gives is what a driver gets for the process ({@code spawned(pid, mm)}).
 *
 * <p>The operations fail as Linux would fail them: {@code SegmentationFaultException} for an
 * access where nothing is mapped (or not with that permission), {@code InvalidRangeException}
 * for a bad range, {@code MmDeadException} once the process has exited.
 */
public final class TestProcess {
    /** {@code PROT_NONE}, {@code PROT_READ}, {@code PROT_WRITE}: combine with {@code |}. */
    public static final int PROT_NONE = Vma.PROT_NONE;
    public static final int PROT_READ = Vma.PROT_READ;
    public static final int PROT_WRITE = Vma.PROT_WRITE;

    private final TestMachine machine;
    private final Process process;

    TestProcess(TestMachine machine, Process process) {
        this.machine = machine;
        this.process = process;
    }

    public int pid() {
        return process.pid();
    }

    /** The address space, as a driver sees it. */
    public MmStruct mm() {
        return process.mm();
    }

    private AddressSpace as() {
        return process.mm();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * {@code mmap(address, length, prot, MAP_ANONYMOUS | MAP_PRIVATE)}; address 0 lets the
     * kernel choose.
     *
     * @return where it was mapped
     */
    public long mmap(long address, long length, int prot) {
        return as().mmap(address, length, prot, false);
    }

    /** {@code mmap(…, MAP_ANONYMOUS | MAP_SHARED)}: shared with the children this process forks. */
    public long mmapShared(long address, long length, int prot) {
        return as().mmap(address, length, prot, true);
    }

    /** {@code munmap}: an {@code UNMAP} invalidation, then the pages are freed. */
    public void munmap(long start, long length) {
        as().munmap(start, length);
    }

    /** {@code madvise(MADV_DONTNEED)}: a {@code CLEAR} invalidation; the mapping stays, its pages go. */
    public void madviseDontNeed(long start, long length) {
        as().madviseDontNeed(start, length);
    }

    /** {@code mprotect}: a {@code PROTECTION_VMA} invalidation where permissions are taken away. */
    public void mprotect(long start, long length, int prot) {
        as().mprotect(start, length, prot);
    }

    /** {@code mremap} of {@code [oldStart, oldStart + length)} to {@code newStart} (MREMAP_FIXED). */
    public void mremap(long oldStart, long length, long newStart) {
        as().mremap(oldStart, length, newStart);
    }

    /** A CPU read: faults the page in if needed. */
    public long read(long address) {
        return as().read(address);
    }

    /** A CPU write: faults the page in (breaking copy-on-write) if needed. */
    public void write(long address, long value) {
        as().write(address, value);
    }

    /**
     * {@code fork}: a child sharing this process's private pages copy-on-write (write-protecting
     * them here first, with a range invalidation), announced to the listeners.
     */
    public TestProcess fork() {
        return machine.announce(machine.machine().fork(process), false);
    }

    /** {@code exit}: tells the listeners (the drivers detach), then {@code exit_mmap}: release, unmap, free. */
    public void exit() {
        machine.exiting(this);
        process.exit();
    }

    /**
     * The OOM killer: the reaper first unmaps the private memory with non-blockable invalidations
     * while the drivers are still attached (a notifier may refuse one: that mapping goes with the
     * exit), then the process exits.
     *
     * @return mappings reaped and mappings a notifier refused
     */
    public int[] oomKill() {
        int[] reaped = as().oomReap();
        exit();
        return reaped;
    }

    /** Reclaim of one page ({@code try_to_unmap} on it): false if it was not resident or could not go. */
    public boolean reclaim(long address) {
        return machine.machine().reclaimer().reclaimPage(as(), address);
    }

    /** Compaction moves the page at {@code address} to another frame ({@code migrate_pages}). */
    public boolean migrate(long address) {
        return machine.machine().migrator().migrate(as(), address, null);
    }

    /**
     * A device driver's {@code migrate_vma} of the page at {@code address}: a {@code MIGRATE}
     * invalidation whose owner is {@code owner}, which that driver's notifier may ignore.
     */
    public boolean migrateForDevice(long address, Object owner) {
        return machine.machine().migrator().migrate(as(), address, owner);
    }

    /** Clearing the soft-dirty bits ({@code /proc/pid/clear_refs}): a {@code SOFT_DIRTY} invalidation. */
    public void clearSoftDirty() {
        as().clearSoftDirty();
    }

    /** Idle-page tracking's scan of the accessed bits ({@code clear_young}/{@code test_young}). */
    public int scanYoung(long start, long end) {
        return as().scanYoung(start, end);
    }

    /** The frame the primary maps at {@code address} now, or -1. */
    public long pfnAt(long address) {
        var f = as().frameAt(address);
        return f == null ? -1 : f.pfn();
    }

    /** How the primary maps {@code address} now, in words (for failure messages). */
    public String describePte(long address) {
        return as().describePte(address);
    }

    @Override
    public String toString() {
        return process.toString();
    }
}
