package org.mmunotifier.core.internal.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.SegmentationFaultException;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Each primary-MMU operation: its effect on ptes, reverse map, frames, and the notifier calls. */
class AddressSpaceTest {
    static final long P = Addresses.PAGE_SIZE;
    static final long A = 0x10_0000L; // a mapping's start
    static final int RW = Vma.PROT_READ | Vma.PROT_WRITE;

    private final Machine machine = new Machine(64, PageLayout.BITS_64);
    private final PhysicalMemory memory = machine.memory();
    private final Process proc = machine.spawn();
    private final AddressSpace mm = proc.mm();
    private final RecordingNotifier n = new RecordingNotifier(MmuNotifierContract.V2_6_27);

    @AfterEach
    void close() {
        machine.close();
    }

    private static String range(String op, String event, long start, long end) {
        return op + " " + event + " 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end);
    }

    @Test
    void aFaultAllocatesMapsAndSetsYoungAndDirtyWithoutNotifierCalls() {
        mm.mmap(A, 4 * P, RW, false);
        mm.register(n);
        assertEquals(0, mm.read(A + P), "a new anonymous page reads zero");
        Frame f = mm.frameAt(A + P);
        assertNotNull(f);
        assertEquals(List.of(new RmapEntry(mm, A + P)), f.rmap());
        assertEquals(1, f.refCount());
        assertEquals("pfn " + f.pfn() + " rw young", mm.describePte(A + P));
        mm.write(A + P, 42);
        assertEquals("pfn " + f.pfn() + " rw young dirty", mm.describePte(A + P));
        assertEquals(42, mm.read(A + P));
        assertEquals(1, mm.rss());
        assertEquals(List.of(), n.calls());
    }

    @Test
    void accessesOutsideAMappingOrAgainstItsProtectionAreSegfaultsNamingTheAddress() {
        mm.mmap(A, P, Vma.PROT_READ, false);
        mm.mmap(A + 2 * P, P, Vma.PROT_NONE, false);
        SegmentationFaultException e = assertThrows(SegmentationFaultException.class, () -> mm.read(A + P));
        assertEquals(A + P, e.address());
        assertTrue(e.getMessage().contains("0x101000") && e.getMessage().contains("no mapping"), e.getMessage());
        assertTrue(assertThrows(SegmentationFaultException.class, () -> mm.write(A, 1)).getMessage().contains("write to"));
        assertThrows(SegmentationFaultException.class, () -> mm.read(A + 2 * P));
        assertEquals(0, mm.rss(), "a failed access changed the page tables");
        assertEquals(0, memory.usedCount());
    }

    @Test
    void munmapInvalidatesTheRangeThenFreesThePages() {
        mm.mmap(A, 4 * P, RW, false);
        mm.write(A, 1);
        mm.write(A + 3 * P, 2);
        Frame f = mm.frameAt(A);
        long gen = f.generation();
        mm.register(n);
        mm.munmap(A, 4 * P);
        assertEquals(List.of(range("start", "UNMAP", A, A + 4 * P), range("end", "UNMAP", A, A + 4 * P)), n.calls());
        assertEquals(0, mm.rss());
        assertEquals(0, memory.usedCount());
        assertEquals(gen + 1, f.generation());
        assertEquals(Frame.POISON, f.data());
        assertEquals(List.of(), f.rmap());
        assertEquals(List.of(), mm.vmas());
        assertEquals(1, mm.pageTableCount(), "empty page tables were not freed");
    }

    @Test
    void munmapOfPartOfAMappingSplitsItAndUnmappingNothingIsANoOp() {
        mm.mmap(A, 4 * P, RW, false);
        mm.register(n);
        mm.munmap(A + P, P);
        assertEquals(List.of(new Vma(A, A + P, RW, false), new Vma(A + 2 * P, A + 4 * P, RW, false)), mm.vmas());
        n.clear();
        mm.munmap(A + 100 * P, 10 * P); // nothing mapped there: no error, no calls (as in Linux)
        assertEquals(List.of(), n.calls());
        assertEquals(2, mm.vmas().size());
    }

    @Test
    void madviseDontNeedClearsPagesButKeepsTheMapping() {
        mm.mmap(A, 2 * P, RW, false);
        mm.write(A, 7);
        mm.register(n);
        mm.madviseDontNeed(A, 2 * P);
        assertEquals(List.of(range("start", "CLEAR", A, A + 2 * P), range("end", "CLEAR", A, A + 2 * P)), n.calls());
        assertEquals(0, mm.rss());
        assertEquals(0, mm.read(A), "after DONTNEED a private page refaults zero-filled");
        assertEquals(1, mm.vmas().size());
    }

    @Test
    void mprotectRevokingWriteInvalidatesAndWriteProtectsGrantingDoesNot() {
        mm.mmap(A, 2 * P, RW, false);
        mm.write(A, 1);
        mm.register(n);
        mm.mprotect(A, 2 * P, Vma.PROT_READ);
        assertEquals(List.of(range("start", "PROTECTION_VMA", A, A + 2 * P),
                range("end", "PROTECTION_VMA", A, A + 2 * P)), n.calls());
        assertFalse(mm.isWritableAt(A));
        assertThrows(SegmentationFaultException.class, () -> mm.write(A, 2));
        n.clear();
        mm.mprotect(A, 2 * P, RW);
        assertEquals(List.of(), n.calls());
        mm.write(A, 3);
        assertEquals(3, mm.read(A));
        assertTrue(mm.isWritableAt(A));
    }

    @Test
    void mremapMovesThePagesAndTheReverseMap() {
        mm.mmap(A, 2 * P, RW, false);
        mm.write(A + P, 99);
        Frame f = mm.frameAt(A + P);
        mm.register(n);
        long to = A + 0x100_0000L;
        mm.mremap(A, 2 * P, to);
        // Around the move, then the unmap of the old VMA, empty by then.
        assertEquals(List.of(range("start", "UNMAP", A, A + 2 * P), range("end", "UNMAP", A, A + 2 * P),
                range("start", "UNMAP", A, A + 2 * P), range("end", "UNMAP", A, A + 2 * P)), n.calls());
        assertEquals(99, mm.read(to + P));
        assertEquals(f, mm.frameAt(to + P));
        assertEquals(List.of(new RmapEntry(mm, to + P)), f.rmap());
        assertThrows(SegmentationFaultException.class, () -> mm.read(A));
    }

    @Test
    void forkWriteProtectsTheParentAndCowBreakInvalidatesThePage() {
        mm.mmap(A, 2 * P, RW, false);
        mm.write(A, 5);
        Frame shared = mm.frameAt(A);
        mm.register(n);
        Process child = machine.fork(proc);
        assertEquals(List.of(range("start", "PROTECTION_PAGE", A, A + 2 * P),
                range("end", "PROTECTION_PAGE", A, A + 2 * P)), n.calls());
        assertEquals(2, shared.mapCount());
        assertEquals(2, shared.refCount());
        assertFalse(mm.isWritableAt(A));
        assertFalse(child.mm().isWritableAt(A));
        assertEquals(5, child.mm().read(A));

        n.clear();
        mm.write(A, 6); // COW break in the parent
        assertEquals(List.of("page 0x" + Long.toHexString(A)), n.calls());
        assertNotEquals(shared, mm.frameAt(A));
        assertEquals(6, mm.read(A));
        assertEquals(5, child.mm().read(A), "the child saw the parent's write");
        assertEquals(1, shared.mapCount());
        assertEquals(List.of(new RmapEntry(child.mm(), A)), shared.rmap());

        child.mm().write(A, 7); // the child is the only user now: no copy
        assertEquals(shared, child.mm().frameAt(A));
    }

    @Test
    void sharedMappingsStaySharedAcrossFork() {
        mm.mmap(A, P, RW, true);
        mm.write(A, 1);
        mm.register(n);
        Process child = machine.fork(proc);
        assertEquals(List.of(), n.calls(), "shared memory is not copy-on-write");
        child.mm().write(A, 2);
        assertEquals(2, mm.read(A));
    }

    @Test
    void exitReleasesNotifiersBeforeTeardownAndFreesEverything() {
        mm.mmap(A, 2 * P, RW, false);
        mm.write(A, 1);
        mm.write(A + P, 2);
        long[] rssAtRelease = {-1};
        RecordingNotifier watcher = new RecordingNotifier() {
            @Override
            public void release(MmStruct m) {
                rssAtRelease[0] = mm.rss();
                super.release(m);
            }
        };
        mm.register(watcher);
        List<String> itree = new java.util.ArrayList<>();
        mm.insertInterval(A, A + 2 * P, (sub, range, seq) -> {
            itree.add(range.event().toString());
            return true;
        });
        proc.exit();
        assertEquals(List.of("release"), watcher.calls());
        assertEquals(2, rssAtRelease[0], "pages were gone before release");
        assertEquals(List.of("RELEASE", "UNMAP"), itree);
        assertEquals(0, memory.usedCount());
        assertFalse(mm.isAlive());
        assertThrows(org.mmunotifier.api.MmDeadException.class, () -> mm.read(A));
        assertThrows(IllegalArgumentException.class, () -> machine.process(proc.pid()));
    }

    @Test
    void registrationsKeepTheMmStructAliveAfterExit() {
        assertEquals(1, mm.mmCount());
        mm.register(n);
        var sub = mm.insertInterval(A, A + P, (s, r, seq) -> true);
        assertEquals(3, mm.mmCount());
        proc.exit();
        assertEquals(2, mm.mmCount(), "exit dropped a registration's reference");
        mm.unregister(n); // KVM unregisters when the VM goes, after the process exited
        sub.remove();
        assertEquals(0, mm.mmCount(), "the mm struct is not freed after its last registration went");
    }

    @Test
    void reclaimGivesASecondChanceThenUnmapsThroughTheReverseMap() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 1);
        Process child = machine.fork(proc);
        RecordingNotifier childN = new RecordingNotifier(MmuNotifierContract.V2_6_27);
        child.mm().register(childN);
        n.contract = MmuNotifierContract.V2_6_27; // reclaim speaks invalidate_page to it
        mm.register(n);
        Frame f = mm.frameAt(A);
        long gen = f.generation();

        assertEquals(0, machine.reclaimer().shrink(64), "a young page must get a second chance");
        assertTrue(n.calls().contains("age 0x" + Long.toHexString(A)), n.calls().toString());
        n.clear();
        childN.clear();
        assertEquals(1, machine.reclaimer().shrink(64));
        assertEquals(gen + 1, f.generation());
        // page_referenced_one's clear_flush_young, then try_to_unmap_one's, then its invalidate_page.
        assertEquals(List.of("age 0x100000", "age 0x100000", "page 0x100000"), n.calls());
        assertEquals(List.of("age 0x100000", "age 0x100000", "page 0x100000"), childN.calls());
        assertNull(mm.frameAt(A));
        assertNull(child.mm().frameAt(A));
        assertEquals(0, memory.usedCount());
    }

    @Test
    void aSecondaryMmuThatSaysYoungKeepsThePage() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 1);
        n.young = true;
        mm.register(n);
        machine.reclaimer().shrink(64);
        assertEquals(0, machine.reclaimer().shrink(64));
        assertNotNull(mm.frameAt(A));
    }

    @Test
    void externalRmapPagesGoToTheRmapNotifiersBeforeTheyAreFreed() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 1);
        Frame f = mm.frameAt(A);
        f.setExternalRmap();
        long gen = f.generation();
        long[] genAtCall = {-1};
        machine.notifierCore().registerRmap(page -> genAtCall[0] = page.generation());
        assertTrue(machine.reclaimer().reclaimPage(mm, A));
        assertEquals(gen, genAtCall[0], "the rmap notifier ran after the page was freed");
        assertFalse(f.isExternalRmap(), "a freed frame keeps its flags");
    }

    @Test
    void anExportedPageThatLosesItsPteGoesToTheRmapNotifiersBeforeTheInvalidationEnds() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 1);
        mm.frameAt(A).setExternalRmap();
        mm.register(n);
        machine.notifierCore().registerRmap(page -> n.record("rmap pfn " + page.pfn()));
        long pfn = mm.frameAt(A).pfn();
        mm.munmap(A, P);
        assertEquals(List.of(range("start", "UNMAP", A, A + P), "rmap pfn " + pfn, range("end", "UNMAP", A, A + P)),
                n.calls());
    }

    @Test
    void migrationCopiesRemapsAndNamesItsOwner() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 77);
        Frame old = mm.frameAt(A);
        Object[] owner = new Object[1];
        mm.register(new RecordingNotifier() {
            @Override
            public boolean invalidateRangeStart(org.mmunotifier.api.MmuNotifierRange range) {
                owner[0] = range.owner();
                return super.invalidateRangeStart(range);
            }
        });
        String device = "dmirror"; // migrate_vma names its device; migrate_pages names none
        assertTrue(machine.migrator().migrate(mm, A, device));
        assertEquals(device, owner[0]);
        Frame now = mm.frameAt(A);
        assertNotEquals(old, now);
        assertEquals(77, mm.read(A));
        assertEquals(0, old.refCount());
        assertEquals(List.of(new RmapEntry(mm, A)), now.rmap());
    }

    @Test
    void faultRangeFaultsPagesInAndBreaksCowForWrites() {
        mm.mmap(A, 3 * P, RW, false);
        mm.write(A, 1);
        machine.fork(proc);
        MappedFrame[] ro = mm.faultRange(A, A + 3 * P, false);
        assertEquals(3, ro.length);
        assertFalse(ro[0].writable(), "a COW page must not be handed out writable for a read");
        MappedFrame[] rw = mm.faultRange(A, A + P, true);
        assertTrue(rw[0].writable());
        assertNotEquals(ro[0].pfn(), rw[0].pfn());
        assertEquals(memory.frame(rw[0].pfn()).generation(), rw[0].generation());
        assertThrows(SegmentationFaultException.class, () -> mm.faultRange(A + 3 * P, A + 4 * P, false));
    }

    @Test
    void runningOutOfMemoryReclaimsFirstThenFailsClearly() {
        try (Machine small = new Machine(4, PageLayout.BITS_64)) {
            AddressSpace a = small.spawn().mm();
            a.mmap(A, 8 * P, RW, false);
            for (int i = 0; i < 8; i++) {
                a.write(A + i * P, i); // only 4 frames: earlier pages are reclaimed to make room
            }
            assertEquals(4, small.memory().usedCount());
            RecordingNotifier young = new RecordingNotifier();
            young.young = true; // a secondary MMU that always says young pins everything
            a.register(young);
            org.mmunotifier.api.OutOfMemoryException e = assertThrows(org.mmunotifier.api.OutOfMemoryException.class,
                    () -> {
                        for (int i = 0; i < 8; i++) {
                            a.write(A + i * P, i);
                        }
                    });
            assertTrue(e.getMessage().contains("all 4 frames are in use"), e.getMessage());
        }
    }

    @Test
    void badInputChangesNothing() {
        mm.mmap(A, 2 * P, RW, false);
        mm.write(A, 1);
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> mm.munmap(A + 1, P));
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> mm.munmap(A, -P));
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> mm.mmap(A, P, RW, false));
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> mm.mprotect(A, 4 * P, Vma.PROT_READ));
        assertThrows(IllegalArgumentException.class, () -> mm.mprotect(A, P, 8));
        assertThrows(org.mmunotifier.api.InvalidRangeException.class, () -> mm.mremap(A, 4 * P, A + 0x100_0000L));
        assertThrows(IllegalArgumentException.class, () -> memory.frame(64));
        assertThrows(IllegalArgumentException.class, () -> memory.frame(-1));
        assertEquals(List.of(new Vma(A, A + 2 * P, RW, false)), mm.vmas());
        assertEquals(1, mm.rss());
        assertEquals(1, mm.read(A));
        proc.exit();
        assertThrows(org.mmunotifier.api.MmDeadException.class, proc::exit);
        assertThrows(org.mmunotifier.api.MmDeadException.class, () -> mm.mmap(A, P, RW, false));
        assertThrows(org.mmunotifier.api.MmDeadException.class, () -> mm.faultRange(A, A + P, false));
    }

    @Test
    void aSparseUnmapTouchesWhatIsMappedNotTheSizeOfTheRange() {
        try (Machine big = new Machine(2_000, PageLayout.BITS_64)) {
            AddressSpace a = big.spawn().mm();
            long tib = 1L << 40;
            long base = 1L << 41;
            a.mmap(base, tib, RW, false);
            for (int i = 0; i < 1_000; i++) {
                a.touch(base + i * (tib / 1_000) / P * P, true); // spread over the whole TiB
            }
            assertEquals(1_000, a.rss());
            assertEquals(1_000, a.ptesIn(base, base + tib), "a walk of 1 TiB visited more than what is mapped");
            a.munmap(base, tib);
            assertEquals(0, a.rss());
            assertEquals(1, a.pageTableCount());
            assertEquals(0, big.memory().usedCount());
        }
    }
}
