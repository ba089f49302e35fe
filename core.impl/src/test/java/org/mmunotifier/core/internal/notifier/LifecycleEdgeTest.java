package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.InvalidRangeException;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.SegmentationFaultException;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Frame;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Vma;

/**
 * The lifecycle holes of the robustness issue (items 6–9): release strictly before teardown on
 * every interleaving, an interval callback's Error, calls that used to hang for ever, and the
 * smaller contract holes.
 */
class LifecycleEdgeTest {
    private static final long REGION = 0x4000_0000L;
    private static final int PAGES = 4;
    private static final long PAGE = Addresses.PAGE_SIZE;
    private static final int RW = Vma.PROT_READ | Vma.PROT_WRITE;

    private final Machine machine = new Machine(256, PageLayout.BITS_64);

    @AfterEach
    void close() {
        machine.close();
    }

    private Process processWithPages() {
        Process p = machine.spawn();
        p.mm().mmap(REGION, PAGES * PAGE, RW, false);
        for (int i = 0; i < PAGES; i++) {
            p.mm().write(REGION + i * PAGE, i + 1);
        }
        return p;
    }

    /**
     * Item 6: an unregister on a fresh thread (whose first read-side section builds its slot)
     * races the mm's exit. Whoever calls release, it must find every page still mapped and no
     * frame freed: exit may tear down only after a release unregister won has returned.
     */
    @Test
    void releaseAlwaysSeesEveryPageStillMappedWhenExitRacesUnregister() throws Exception {
        AtomicInteger late = new AtomicInteger();
        AtomicInteger releases = new AtomicInteger();
        int rounds = 2_000;
        for (int round = 0; round < rounds; round++) {
            Process p = processWithPages();
            AddressSpace mm = p.mm();
            List<MappedFrame> mirrored = List.of(mm.faultRange(REGION, REGION + PAGES * PAGE, false));
            MmuNotifier n = new MmuNotifier() {
                @Override
                public void release(MmStruct m) {
                    releases.incrementAndGet();
                    TestSupport.spin(2_000); // a release that takes a moment, as real ones do
                    for (MappedFrame f : mirrored) {
                        Frame now = mm.frameAt(f.address());
                        if (now == null || now.pfn() != f.pfn() || now.generation() != f.generation()) {
                            late.incrementAndGet();
                        }
                    }
                }
            };
            mm.register(n);
            CyclicBarrier go = new CyclicBarrier(2);
            Thread unregister = new Thread(() -> {
                await(go);
                mm.unregister(n);
            }, "unregister-" + round);
            unregister.start();
            await(go);
            p.exit();
            unregister.join(10_000);
            assertFalse(unregister.isAlive(), "unregister did not return");
        }
        assertEquals(rounds, releases.get(), "release exactly once per round");
        assertEquals(0, late.get(), "release ran after exit had unmapped or freed pages in " + late + " of " + rounds
                + " rounds");
        assertEquals(0, machine.memory().usedCount());
    }

    /** Item 7: an Error in one interval callback leaves the others' readBegin (and remove) working. */
    @Test
    void anErrorInOneIntervalCallbackLeavesTheOthersWorking() throws Exception {
        Process p = processWithPages();
        AddressSpace mm = p.mm();
        mm.insertInterval(REGION, REGION + PAGES * PAGE, (sub, range, seq) -> {
            throw new StackOverflowError("driver recursion");
        });
        MmuIntervalSubscription healthy = mm.insertInterval(REGION, REGION + PAGES * PAGE, (sub, range, seq) -> {
            sub.setSeq(seq);
            return true;
        });
        mm.munmap(REGION, PAGE);
        long seq = TestSupport.callWithin(5_000, healthy::readBegin);
        assertFalse(healthy.readRetry(seq));
        MmuIntervalSubscription later = mm.insertInterval(REGION, REGION + PAGE, (sub, range, s) -> true);
        TestSupport.callWithin(5_000, () -> {
            later.remove();
            healthy.remove();
            return null;
        });
        assertEquals(1, machine.notifierCore().faults().count());
    }

    /** Item 8: register or get while holding mmap_lock for read would hang for ever: it fails at once. */
    @Test
    void registeringUnderTheReadLockFailsInsteadOfHanging() throws Exception {
        AddressSpace mm = processWithPages().mm();
        MmuNotifierOps<MmuNotifier> ops = m -> new MmuNotifier() { };
        List<Throwable> thrown = TestSupport.callWithin(5_000, () -> {
            List<Throwable> out = new ArrayList<>();
            mm.mmapLock().readLock().lock();
            try {
                for (Runnable r : List.<Runnable>of(() -> mm.register(new MmuNotifier() { }), () -> mm.get(ops))) {
                    try {
                        r.run();
                    } catch (Throwable t) {
                        out.add(t);
                    }
                }
            } finally {
                mm.mmapLock().readLock().unlock();
            }
            return out;
        });
        assertEquals(2, thrown.size());
        for (Throwable t : thrown) {
            assertTrue(t instanceof IllegalMonitorStateException, t.toString());
            assertTrue(t.getMessage().contains("holds it for read"), t.getMessage());
        }
        assertEquals(0, mm.notifiers().notifierCount());
    }

    /** Item 8: synchronize() from a callback with a free pending would wait for itself: it fails at once. */
    @Test
    void synchronizeFromACallbackFailsInsteadOfHanging() throws Exception {
        AddressSpace mm = processWithPages().mm();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        MmuNotifierOps<MmuNotifier> ops = m -> new MmuNotifier() { };
        MmuNotifier shared = mm.get(ops);
        mm.register(new MmuNotifier() {
            @Override
            public boolean agePage(MmStruct m, long address) {
                m.put(shared); // a free pending on the reclaim thread
                try {
                    machine.notifierCore().synchronize();
                } catch (Throwable t) {
                    thrown.set(t);
                }
                return false;
            }
        });
        TestSupport.callWithin(5_000, () -> mm.notifiers().agePage(REGION));
        assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
        assertTrue(thrown.get().getMessage().contains("from inside a notifier callback"), thrown.get().getMessage());
        machine.notifierCore().synchronize(); // from outside it works, and the free has run
    }

    /** Item 9: faultRange checks the range against the mappings before allocating anything. */
    @Test
    void faultRangeOfTheWholeAddressSpaceIsASegmentationFaultNotAnOutOfMemoryError() {
        AddressSpace mm = processWithPages().mm();
        SegmentationFaultException e = assertThrows(SegmentationFaultException.class,
                () -> mm.faultRange(0, Addresses.TASK_SIZE, false));
        assertTrue(e.getMessage().contains("0x0"), e.getMessage());
        long huge = (long) (AddressSpace.MAX_FAULT_PAGES + 1) * PAGE;
        long start = mm.mmap(0, huge, RW, false);
        InvalidRangeException tooBig = assertThrows(InvalidRangeException.class,
                () -> mm.faultRange(start, start + huge, false));
        assertTrue(tooBig.getMessage().contains("at most"), tooBig.getMessage());
        assertEquals(PAGES, mm.rss(), "nothing was faulted in");
        SegmentationFaultException partly = assertThrows(SegmentationFaultException.class,
                () -> mm.faultRange(REGION, REGION + (PAGES + 1) * PAGE, false));
        assertTrue(partly.getMessage().contains(Long.toHexString(REGION + PAGES * PAGE)), partly.getMessage());
    }

    /** Item 9: of two unregister calls of one notifier racing, exactly one succeeds. */
    @Test
    void ofTwoConcurrentUnregistersExactlyOneSucceeds() throws Exception {
        AddressSpace mm = processWithPages().mm();
        for (int round = 0; round < 300; round++) {
            MmuNotifier n = new MmuNotifier() {
                @Override
                public void release(MmStruct m) {
                    TestSupport.spin(20_000);
                }
            };
            mm.register(n);
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger notRegistered = new AtomicInteger();
            CyclicBarrier go = new CyclicBarrier(2);
            try (TestSupport.Workers w = new TestSupport.Workers()) {
                for (int t = 0; t < 2; t++) {
                    w.start("unregister-" + t, () -> {
                        await(go);
                        try {
                            mm.unregister(n);
                            ok.incrementAndGet();
                        } catch (NotRegisteredException e) {
                            notRegistered.incrementAndGet();
                        }
                    });
                }
            }
            assertEquals(1, ok.get(), "round " + round);
            assertEquals(1, notRegistered.get(), "round " + round);
        }
        assertEquals(0, mm.notifiers().notifierCount());
    }

    /** Item 9: an interval insert racing exit either fails or hears the teardown. */
    @Test
    void anIntervalInsertRacingExitFailsOrHearsTheTeardown() throws Exception {
        int heard = 0;
        int refused = 0;
        for (int round = 0; round < 500; round++) {
            Process p = processWithPages();
            AddressSpace mm = p.mm();
            // The mm has an interval tree already, so later inserts take no mmap_lock.
            mm.insertInterval(REGION, REGION + PAGE, (sub, range, seq) -> true);
            List<MmuNotifierEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            MmuIntervalNotifier n = (sub, range, seq) -> {
                events.add(range.event());
                return true;
            };
            CyclicBarrier go = new CyclicBarrier(2);
            AtomicReference<RuntimeException> insert = new AtomicReference<>();
            Thread t = new Thread(() -> {
                await(go);
                try {
                    mm.insertInterval(REGION, REGION + PAGES * PAGE, n);
                } catch (RuntimeException e) {
                    insert.set(e);
                }
            });
            t.start();
            await(go);
            p.exit();
            t.join(10_000);
            if (insert.get() != null) {
                assertTrue(insert.get() instanceof MmDeadException, insert.get().toString());
                refused++;
            } else {
                assertTrue(events.contains(MmuNotifierEvent.RELEASE) || events.contains(MmuNotifierEvent.UNMAP),
                        "an insert that succeeded before exit must hear the teardown: " + events);
                heard++;
            }
        }
        assertEquals(500, heard + refused);
    }

    /** Item 9: a refused mmap(0, …) changes nothing, not even where the next one lands. */
    @Test
    void aRefusedMmapDoesNotMoveTheNextOne() {
        AddressSpace a = machine.spawn().mm();
        AddressSpace b = machine.spawn().mm();
        assertThrows(IllegalArgumentException.class, () -> a.mmap(0, 4 * PAGE, 0x40, false));
        assertEquals(b.mmap(0, 4 * PAGE, RW, false), a.mmap(0, 4 * PAGE, RW, false));
    }

    /** Item 9: a driver pins an mm around its work; exit waits for the pin, and no pin is had after. */
    @Test
    void aPinnedMmIsTornDownOnlyAtTheLastPut() {
        Process p = processWithPages();
        AddressSpace mm = p.mm();
        assertTrue(mm.mmgetNotZero());
        p.exit();
        assertTrue(mm.isAlive(), "the pin keeps the address space");
        assertEquals(PAGES, mm.faultRange(REGION, REGION + PAGES * PAGE, false).length);
        mm.mmput();
        assertFalse(mm.isAlive());
        assertFalse(mm.mmgetNotZero());
        assertEquals(0, machine.memory().usedCount());
        assertThrows(MmDeadException.class, () -> mm.faultRange(REGION, REGION + PAGE, false));
    }

    /** The last put from inside a callback cannot run exit there (it would wait for itself). */
    @Test
    void theLastPutFromACallbackExitsOnAnotherThread() throws Exception {
        Process p = processWithPages();
        AddressSpace mm = p.mm();
        assertTrue(mm.mmgetNotZero());
        p.exit();
        CountDownLatch released = new CountDownLatch(1);
        mm.register(new MmuNotifier() {
            private final AtomicInteger once = new AtomicInteger();

            @Override
            public boolean agePage(MmStruct m, long address) {
                if (once.getAndIncrement() == 0) {
                    m.mmput(); // the last user, inside a callback
                }
                return false;
            }

            @Override
            public void release(MmStruct m) {
                released.countDown();
            }
        });
        TestSupport.callWithin(5_000, () -> mm.notifiers().agePage(REGION));
        assertTrue(released.await(10, TimeUnit.SECONDS), "exit ran after the callback returned");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (machine.memory().usedCount() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, machine.memory().usedCount());
    }

    /** A get racing exit frees what allocNotifier allocated when it cannot link it. */
    @Test
    void aGetThatCannotLinkFreesWhatItAllocated() {
        Process p = processWithPages();
        AddressSpace mm = p.mm();
        List<MmuNotifier> freed = new ArrayList<>();
        MmuNotifierOps<MmuNotifier> ops = new MmuNotifierOps<>() {
            @Override
            public MmuNotifier allocNotifier(MmStruct m) {
                // The mm begins to exit while the driver allocates (exit's release does not take
                // mmap_lock; its teardown waits for ours).
                Thread exit = new Thread(p::exit);
                exit.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!mm.notifiers().isDead() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                return new MmuNotifier() { };
            }

            @Override
            public void freeNotifier(MmuNotifier n) {
                freed.add(n);
            }
        };
        mm.mmapLock().writeLock().lock();
        try {
            assertThrows(MmDeadException.class, () -> mm.getLocked(ops));
        } finally {
            mm.mmapLock().writeLock().unlock();
        }
        assertEquals(1, freed.size(), "free_notifier for the notifier that was never linked");
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
