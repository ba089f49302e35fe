package org.mmunotifier.core.internal.mm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.page.PageLayout;

/**
 * The kernel call sites of each primary-MMU operation, per contract: one test per operation, one
 * expected list per contract (seed, 2.6.27, 6.x), compared call for call.
 *
 * <p>Each call is recorded with what it sees from inside the callback, the columns of a call-site
 * table: {@code ptl} if the page-table lock is held; {@code pte before} or {@code pte after} the
 * operation changed the watched pte; {@code page live} or {@code page freed} for the frame that pte
 * mapped. Ranges show their event, {@code nonblock} when not blockable and their owner; the
 * seed's {@code invalidate_range} shows {@code atomic} for its {@code lock} argument.
 *
 * <p>Where the model departs from the kernel on purpose, a one-line comment at the expectation
 * says how. Two choices run through the whole table: 6.x's {@code arch_invalidate_secondary_tlbs}
 * always comes between start and end with the page-table lock held, for the invalidation's range
 * (the kernel's {@code zap_pte_range} force-flush path; x86's {@code tlb_finish_mmu} and
 * {@code flush_tlb_mm} call it after end, without the lock, for munmap, madvise, mprotect, fork,
 * soft-dirty and the OOM reaper); and every other callback runs with the page-table lock dropped
 * (the kernel holds it for {@code invalidate_page} and the young ops).
 */
class ContractCallSitesTest {
    static final long P = Addresses.PAGE_SIZE;
    static final long A = 0x10_0000L; // the watched mapping: 0x100000-0x102000
    static final long ELSEWHERE = 0x20_0000L; // a shared mapping, or where mremap moves to
    static final int RW = Vma.PROT_READ | Vma.PROT_WRITE;

    static final String BEFORE = " | pte before, page live";
    static final String AFTER = " | pte after, page live";
    static final String PTL_AFTER = " | ptl, pte after, page live";

    private final Machine machine = new Machine(64, PageLayout.BITS_64);
    private final Process proc = machine.spawn();
    private final AddressSpace mm = proc.mm();

    @AfterEach
    void close() {
        machine.close();
    }

    /** Records every call with what it sees of the watched pte and page; speaks {@code contract}. */
    static final class CallSites implements MmuNotifier {
        private final MmuNotifierContract contract;
        private final List<String> calls = new ArrayList<>();
        private AddressSpace watched;
        private long address;
        private long pte;
        private Frame frame;
        private long generation;

        CallSites(MmuNotifierContract contract) {
            this.contract = contract;
        }

        /** From now on, states are relative to the pte at {@code address} and its frame as they are now. */
        synchronized void watch(AddressSpace m, long a) {
            watched = m;
            address = a;
            pte = m.pageTable.get(a);
            frame = m.frameAt(a);
            generation = frame.generation();
            calls.clear();
        }

        synchronized List<String> calls() {
            return List.copyOf(calls);
        }

        boolean pageFreed() {
            return frame.generation() != generation;
        }

        private synchronized void record(String call) {
            boolean ptl = ((ReentrantLock) watched.ptl).isHeldByCurrentThread();
            boolean changed = watched.pageTable.get(address) != pte;
            calls.add(call + " | " + (ptl ? "ptl, " : "") + "pte " + (changed ? "after" : "before") + ", page "
                    + (pageFreed() ? "freed" : "live"));
        }

        private static String hex(long a) {
            return "0x" + Long.toHexString(a);
        }

        private static String range(MmuNotifierRange r) {
            return r.event() + " " + hex(r.start()) + "-" + hex(r.end()) + (r.isBlockable() ? "" : " nonblock")
                    + (r.owner() == null ? "" : " owner " + r.owner());
        }

        @Override
        public MmuNotifierContract contract() {
            return contract;
        }

        @Override
        public void release(MmStruct mm) {
            record("release");
        }

        @Override
        public boolean agePage(MmStruct mm, long a) {
            record("age " + hex(a));
            return false;
        }

        @Override
        public void invalidatePage(MmStruct mm, long a) {
            record("page " + hex(a));
        }

        @Override
        public void invalidateRange(MmStruct mm, long start, long end, boolean atomic) {
            record("range " + hex(start) + "-" + hex(end) + (atomic ? " atomic" : ""));
        }

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange r) {
            record("start " + range(r));
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange r) {
            record("end " + range(r));
        }

        @Override
        public void archInvalidateSecondaryTlbs(MmStruct mm, long start, long end) {
            record("tlb " + hex(start) + "-" + hex(end));
        }

        @Override
        public boolean clearYoung(MmStruct mm, long start, long end) {
            record("clear_young " + hex(start) + "-" + hex(end));
            return false;
        }

        @Override
        public boolean testYoung(MmStruct mm, long a) {
            record("test_young " + hex(a));
            return false;
        }
    }

    /** A private mapping of {@code pages} pages at A, all written (young and dirty), watched at A. */
    private CallSites mapped(MmuNotifierContract contract, int pages) {
        mm.mmap(A, pages * P, RW, false);
        for (int i = 0; i < pages; i++) {
            mm.write(A + i * P, i + 1);
        }
        CallSites n = new CallSites(contract);
        mm.register(n);
        n.watch(mm, A);
        return n;
    }

    // ------------------------------------------------------------------ range operations

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void munmap(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        mm.munmap(A, 2 * P);
        assertEquals(switch (contract) {
            // unmap_vmas; x86 flushes in tlb_finish_mmu after end, unless zap_pte_range force-flushes under the ptl.
            case V6 -> List.of("start UNMAP 0x100000-0x102000" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end UNMAP 0x100000-0x102000" + AFTER);
            case V2_6_27 -> List.of("start UNMAP 0x100000-0x102000" + BEFORE,
                    "end UNMAP 0x100000-0x102000" + AFTER);
            // unmap_region called it after tlb_finish_mmu had freed the pages; the model calls it before.
            case SEED -> List.of("range 0x100000-0x102000" + AFTER);
        }, n.calls());
        assertTrue(n.pageFreed(), "the pages are freed after the notifiers were told");
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void madviseDontNeed(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        mm.madviseDontNeed(A, 2 * P);
        assertEquals(switch (contract) {
            // zap_page_range_single; x86 flushes in tlb_finish_mmu after end, as for munmap.
            case V6 -> List.of("start CLEAR 0x100000-0x102000" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end CLEAR 0x100000-0x102000" + AFTER);
            case V2_6_27 -> List.of("start CLEAR 0x100000-0x102000" + BEFORE,
                    "end CLEAR 0x100000-0x102000" + AFTER);
            // zap_page_range called it after tlb_finish_mmu had freed the pages; the model calls it before.
            case SEED -> List.of("range 0x100000-0x102000" + AFTER);
        }, n.calls());
        assertTrue(n.pageFreed());
        assertEquals(1, mm.vmas().size(), "DONTNEED keeps the mapping");
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void mprotectReadOnly(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        mm.mprotect(A, 2 * P, Vma.PROT_READ);
        assertEquals(switch (contract) {
            // change_pud_range's start/end; x86 flushes in do_mprotect_pkey's tlb_finish_mmu, after end.
            case V6 -> List.of("start PROTECTION_VMA 0x100000-0x102000" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end PROTECTION_VMA 0x100000-0x102000" + AFTER);
            case V2_6_27 -> List.of("start PROTECTION_VMA 0x100000-0x102000" + BEFORE,
                    "end PROTECTION_VMA 0x100000-0x102000" + AFTER);
            // The seed had no mprotect callout (Lameter's V6 added begin/end): the model tells it anyway.
            case SEED -> List.of("range 0x100000-0x102000" + AFTER);
        }, n.calls());
        assertFalse(mm.isWritableAt(A));
        assertFalse(n.pageFreed());
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void mprotectProtNone(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        mm.mprotect(A, 2 * P, Vma.PROT_NONE);
        assertEquals(switch (contract) {
            // change_pud_range's start/end; x86 flushes in do_mprotect_pkey's tlb_finish_mmu, after end.
            case V6 -> List.of("start PROTECTION_VMA 0x100000-0x102000" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end PROTECTION_VMA 0x100000-0x102000" + AFTER);
            case V2_6_27 -> List.of("start PROTECTION_VMA 0x100000-0x102000" + BEFORE,
                    "end PROTECTION_VMA 0x100000-0x102000" + AFTER);
            // The seed had no mprotect callout (Lameter's V6 added begin/end): the model tells it anyway.
            case SEED -> List.of("range 0x100000-0x102000" + AFTER);
        }, n.calls());
        assertTrue(mm.describePte(A).contains("protnone"), mm.describePte(A));
        assertFalse(n.pageFreed());
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void mremap(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        Frame f = mm.frameAt(A);
        mm.mremap(A, 2 * P, ELSEWHERE);
        assertEquals(switch (contract) {
            // move_page_tables' start, the flush of the moved ptes under the ptl, end; then move_vma's
            // do_vmi_munmap of the old range, empty by then.
            case V6 -> List.of("start UNMAP 0x100000-0x102000" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end UNMAP 0x100000-0x102000" + AFTER,
                    "start UNMAP 0x100000-0x102000" + AFTER,
                    "end UNMAP 0x100000-0x102000" + AFTER);
            // move_ptes' start/end (one extent: under a PMD and LATENCY_LIMIT), then do_munmap's.
            case V2_6_27 -> List.of("start UNMAP 0x100000-0x102000" + BEFORE,
                    "end UNMAP 0x100000-0x102000" + AFTER,
                    "start UNMAP 0x100000-0x102000" + AFTER,
                    "end UNMAP 0x100000-0x102000" + AFTER);
            // Nothing for the move itself; move_vma's do_munmap of the old range through unmap_region.
            case SEED -> List.of("range 0x100000-0x102000" + AFTER);
        }, n.calls());
        assertEquals(f, mm.frameAt(ELSEWHERE));
        assertFalse(n.pageFreed());
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void forkWriteProtectsTheParent(MmuNotifierContract contract) {
        mm.mmap(ELSEWHERE, P, RW, true);
        mm.write(ELSEWHERE, 1);
        CallSites n = mapped(contract, 2);
        machine.fork(proc);
        // copy_page_range brackets only the COW mapping, not the shared one.
        assertEquals(switch (contract) {
            // x86: dup_mmap's flush_tlb_mm(oldmm) gives AIST(0, ALL) after every end, without the ptl.
            case V6 -> List.of("start PROTECTION_PAGE 0x100000-0x102000" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end PROTECTION_PAGE 0x100000-0x102000" + AFTER);
            case V2_6_27 -> List.of("start PROTECTION_PAGE 0x100000-0x102000" + BEFORE,
                    "end PROTECTION_PAGE 0x100000-0x102000" + AFTER);
            // The seed had no copy_page_range callout (Lameter's V5 added it): the model tells it anyway.
            case SEED -> List.of("range 0x100000-0x102000" + AFTER);
        }, n.calls());
        assertFalse(mm.isWritableAt(A));
        assertTrue(mm.isWritableAt(ELSEWHERE));
    }

    // ------------------------------------------------------------------ single-page operations

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void copyOnWriteBreak(MmuNotifierContract contract) {
        mm.mmap(A, 2 * P, RW, false);
        mm.write(A, 5);
        Process child = machine.fork(proc);
        CallSites n = new CallSites(contract);
        mm.register(n);
        n.watch(mm, A);
        Frame old = mm.frameAt(A);
        mm.write(A, 6);
        assertEquals(switch (contract) {
            // wp_page_copy; inside AIST the model's pte already maps the copy (the kernel's is clear until set_pte_at).
            case V6 -> List.of("start CLEAR 0x100000-0x101000" + BEFORE,
                    "tlb 0x100000-0x101000" + PTL_AFTER,
                    "end CLEAR 0x100000-0x101000" + AFTER);
            // do_wp_page's ptep_clear_flush_notify calls it with the ptl held; the model after dropping it.
            case V2_6_27 -> List.of("page 0x100000" + AFTER);
            // V2 called invalidate_range(addr, addr+PAGE_SIZE-1) before the pte change; the model as V3: after.
            case SEED -> List.of("range 0x100000-0x101000" + AFTER);
        }, n.calls());
        assertNotEquals(old, mm.frameAt(A));
        assertEquals(List.of(new RmapEntry(child.mm(), A)), old.rmap(), "the child still maps the old page");
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void reclaimOfAYoungThenAnOldPage(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 1);
        assertEquals(0, machine.reclaimer().shrink(64), "a young page gets a second chance");
        // page_referenced_one (folio_referenced_one): the pte's young bit is cleared, then the secondaries'.
        assertEquals(List.of("age 0x100000 | pte after, page live"), n.calls());

        n.watch(mm, A); // the pte is old now
        assertEquals(1, machine.reclaimer().shrink(64));
        assertEquals(switch (contract) {
            // folio_referenced_one's clear_flush_young, then try_to_unmap_one's CLEAR range.
            case V6 -> List.of("age 0x100000" + BEFORE,
                    "start CLEAR 0x100000-0x101000" + BEFORE,
                    "tlb 0x100000-0x101000" + PTL_AFTER,
                    "end CLEAR 0x100000-0x101000" + AFTER);
            // page_referenced_one, then try_to_unmap_one's ptep_clear_flush_young_notify and
            // ptep_clear_flush_notify (both with the ptl held in the kernel, not in the model).
            case V2_6_27 -> List.of("age 0x100000" + BEFORE,
                    "age 0x100000" + BEFORE,
                    "page 0x100000" + AFTER);
            // page_referenced_one, then try_to_unmap_one's age_page (the pte was old) and invalidate_page.
            case SEED -> List.of("age 0x100000" + BEFORE,
                    "age 0x100000" + BEFORE,
                    "page 0x100000" + AFTER);
        }, n.calls());
        assertTrue(n.pageFreed(), "shrink frees the page after the notifiers were told");
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void migration(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 1);
        Frame old = mm.frameAt(A);
        assertTrue(machine.migrator().migrate(mm, A, null)); // migrate_pages: compaction, NUMA
        assertEquals(switch (contract) {
            // try_to_migrate_one: CLEAR, no owner.
            case V6 -> List.of("start CLEAR 0x100000-0x101000" + BEFORE,
                    "tlb 0x100000-0x101000" + PTL_AFTER,
                    "end CLEAR 0x100000-0x101000" + AFTER);
            // try_to_unmap_one (migration: no young check); the kernel holds the ptl, the model does not.
            case V2_6_27, SEED -> List.of("page 0x100000" + AFTER);
        }, n.calls());
        assertTrue(n.pageFreed(), "the old page is freed after the notifiers were told");
        assertNotEquals(old, mm.frameAt(A));
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void migrationToADevice(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 1);
        assertTrue(machine.migrator().migrate(mm, A, "dmirror")); // migrate_vma_setup with its pgmap owner
        assertEquals(switch (contract) {
            case V6 -> List.of("start MIGRATE 0x100000-0x101000 owner dmirror" + BEFORE,
                    "tlb 0x100000-0x101000" + PTL_AFTER,
                    "end MIGRATE 0x100000-0x101000 owner dmirror" + AFTER);
            // migrate_vma came after these kernels: the model tells them as any page migration.
            case V2_6_27, SEED -> List.of("page 0x100000" + AFTER);
        }, n.calls());
        assertTrue(n.pageFreed(), "the old page is freed after the notifiers were told");
    }

    // ------------------------------------------------------------------ operations the older kernels lacked

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void makeDeviceExclusive(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        mm.makeDeviceExclusive(A, A + 2 * P, "dev");
        assertEquals(switch (contract) {
            // page_make_device_exclusive_one brackets each page; the model brackets the range once.
            case V6 -> List.of("start EXCLUSIVE 0x100000-0x102000 owner dev" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end EXCLUSIVE 0x100000-0x102000 owner dev" + AFTER);
            // No make_device_exclusive before 5.14: the model gives the older contracts their range calls.
            case V2_6_27 -> List.of("start EXCLUSIVE 0x100000-0x102000 owner dev" + BEFORE,
                    "end EXCLUSIVE 0x100000-0x102000 owner dev" + AFTER);
            case SEED -> List.of("range 0x100000-0x102000" + AFTER);
        }, n.calls());
        assertTrue(mm.describePte(A).contains("device-exclusive"), mm.describePte(A));
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void clearSoftDirty(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        mm.clearSoftDirty();
        assertEquals(switch (contract) {
            // clear_refs_write's range is [0, -1UL) (flushed by flush_tlb_mm after end); the model's ends at TASK_SIZE.
            case V6 -> List.of("start SOFT_DIRTY 0x0-0x800000000000" + BEFORE,
                    "tlb 0x0-0x800000000000" + PTL_AFTER,
                    "end SOFT_DIRTY 0x0-0x800000000000" + AFTER);
            // No soft-dirty before 3.11: the model gives the older contracts their range calls.
            case V2_6_27 -> List.of("start SOFT_DIRTY 0x0-0x800000000000" + BEFORE,
                    "end SOFT_DIRTY 0x0-0x800000000000" + AFTER);
            case SEED -> List.of("range 0x0-0x800000000000" + AFTER);
        }, n.calls());
        assertFalse(mm.isWritableAt(A));
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void scanYoung(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 1);
        assertEquals(1, mm.scanYoung(A, A + P));
        assertEquals(switch (contract) {
            // khugepaged's test_young leaves the pte alone; page_idle's ptep_clear_young_notify clears
            // the pte's bit, then the secondaries' (both under the ptl in the kernel, not in the model).
            case V6 -> List.of("test_young 0x100000" + BEFORE,
                    "clear_young 0x100000-0x101000" + AFTER);
            case V2_6_27, SEED -> List.of();
        }, n.calls());
        assertFalse(mm.describePte(A).contains("young"), mm.describePte(A));
    }

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void oomReap(MmuNotifierContract contract) {
        mm.mmap(ELSEWHERE, P, RW, true); // shared: the reaper leaves it alone
        mm.write(ELSEWHERE, 1);
        CallSites n = mapped(contract, 2);
        assertArrayEquals(new int[] {1, 0}, mm.oomReap());
        assertEquals(switch (contract) {
            // __oom_reap_task_mm: start_nonblock and its end; x86 flushes in tlb_finish_mmu, after end.
            case V6 -> List.of("start UNMAP 0x100000-0x102000 nonblock" + BEFORE,
                    "tlb 0x100000-0x102000" + PTL_AFTER,
                    "end UNMAP 0x100000-0x102000 nonblock" + AFTER);
            // No OOM reaper before 4.6: the model gives the older contracts their range calls.
            case V2_6_27 -> List.of("start UNMAP 0x100000-0x102000 nonblock" + BEFORE,
                    "end UNMAP 0x100000-0x102000 nonblock" + AFTER);
            case SEED -> List.of("range 0x100000-0x102000 atomic" + AFTER);
        }, n.calls());
        assertTrue(n.pageFreed());
    }

    // ------------------------------------------------------------------ exit

    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void exit(MmuNotifierContract contract) {
        CallSites n = mapped(contract, 2);
        proc.exit();
        // exit_mmap's mmu_notifier_release, before anything is unmapped; the teardown then tells
        // nobody (the notifier is unlinked). The seed called invalidate_all here and release only after
        // the pages were freed; the model releases first in every contract, as Lameter's V5 and 2.6.27 did.
        assertEquals(List.of("release" + BEFORE), n.calls());
        assertTrue(n.pageFreed());
    }

    // ------------------------------------------------------------------ no other contract's callbacks

    /** Every operation once: each contract hears its own kinds of callback, all of them, and no other. */
    @ParameterizedTest
    @EnumSource(MmuNotifierContract.class)
    void aNotifierGetsOnlyItsContractsCallbacks(MmuNotifierContract contract) {
        mm.mmap(A, 16 * P, RW, false);
        for (int i = 0; i < 16; i++) {
            mm.write(A + i * P, i + 1);
        }
        CallSites n = new CallSites(contract);
        mm.register(n);
        n.watch(mm, A);

        Process child = machine.fork(proc);
        mm.write(A, 100); // COW break
        mm.scanYoung(A, A + 16 * P);
        assertTrue(machine.migrator().migrate(mm, A, null));
        mm.makeDeviceExclusive(A + P, A + 2 * P, "dev");
        mm.read(A + P); // gives the page back to the CPU
        mm.clearSoftDirty();
        mm.mprotect(A + 2 * P, P, Vma.PROT_READ);
        mm.mprotect(A + 3 * P, P, Vma.PROT_NONE);
        mm.madviseDontNeed(A + 4 * P, P);
        mm.mremap(A + 5 * P, P, ELSEWHERE);
        mm.munmap(A + 6 * P, P);
        child.exit();
        mm.touch(A + 7 * P, false);
        assertTrue(machine.reclaimer().shrink(64) > 0, "reclaim unmapped nothing");
        mm.oomReap();
        proc.exit();

        Set<String> kinds = new TreeSet<>();
        for (String call : n.calls()) {
            kinds.add(call.substring(0, call.indexOf(' ')));
        }
        assertEquals(switch (contract) {
            case V6 -> Set.of("age", "clear_young", "end", "release", "start", "test_young", "tlb");
            case V2_6_27 -> Set.of("age", "end", "page", "release", "start");
            case SEED -> Set.of("age", "page", "range", "release");
        }, kinds);
    }
}
