package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Vma;
import org.mmunotifier.api.page.PageLayout;

/**
 * Invariant 4 under load: N threads at once each unregister (or put) a notifier from inside one
 * of its callbacks while other threads dispatch to it. Nothing may deadlock (two callbacks that
 * each wait for a grace period used to wait for each other for ever), {@code release} runs once
 * per registration, and no callback begins once unregister has returned.
 */
class UnregisterFromCallbackRaceTest {
    private static final int ROUNDS = 500;
    private static final Duration BUDGET = Duration.ofSeconds(4); // per thread count; rounds stop early past it
    private static final long REGION = 0x4000_0000L;
    private static final int PAGES = 4;
    private static final long PAGE = TestSupport.PAGE;

    /**
     * A notifier that checks the contract on every mm it is registered on: counts releases, and
     * fails if a callback for an mm begins after its unregister (or put) from that mm returned.
     */
    private abstract static class SelfRemoving implements MmuNotifier {
        final AtomicInteger releases = new AtomicInteger();
        final AtomicInteger lateCallbacks = new AtomicInteger();
        final Set<MmStruct> removedFrom = ConcurrentHashMap.newKeySet();

        void callback(MmStruct mm) {
            if (removedFrom.contains(mm)) {
                lateCallbacks.incrementAndGet();
            }
        }

        /** The unregister (or put) from {@code mm} has returned. */
        void removed(MmStruct mm) {
            removedFrom.add(mm);
        }

        @Override
        public void release(MmStruct mm) {
            callback(mm);
            releases.incrementAndGet();
        }

        @Override
        public boolean agePage(MmStruct mm, long address) {
            callback(mm);
            return false;
        }

        @Override
        public void invalidatePage(MmStruct mm, long address) {
            callback(mm);
        }

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            callback(range.mm());
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            callback(range.mm());
        }

        @Override
        public boolean testYoung(MmStruct mm, long address) {
            callback(mm);
            return false;
        }
    }

    /** Unregisters itself from {@code release}: the pattern the README documents. */
    private static final class UnregistersInRelease extends SelfRemoving {
        /** Whether the unregister in release is the one that counts (false: an outer one is). */
        private final boolean innerIsLast;

        UnregistersInRelease(boolean innerIsLast) {
            this.innerIsLast = innerIsLast;
        }

        @Override
        public void release(MmStruct mm) {
            super.release(mm);
            mm.unregister(this);
            if (innerIsLast) {
                removed(mm);
            }
        }
    }

    /** Unregisters itself from its first {@code invalidateRangeStart}. */
    private static final class UnregistersInStart extends SelfRemoving {
        private final AtomicBoolean unregistering = new AtomicBoolean();

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            super.invalidateRangeStart(range);
            if (unregistering.compareAndSet(false, true)) {
                range.mm().unregister(this);
                removed(range.mm());
            }
            return true;
        }
    }

    /** A get/put notifier that puts itself from {@code release}. */
    private static final class PutsInRelease extends SelfRemoving {
        @Override
        public void release(MmStruct mm) {
            super.release(mm);
            mm.put(this);
            // put does not wait: callbacks already running may finish, so no lateness check.
        }
    }

    private final Machine machine = new Machine(1024, PageLayout.BITS_64);

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void exitsWhoseNotifiersUnregisterFromReleaseNeverDeadlock(int threads) throws Exception {
        run(threads, (mm, i) -> {
            UnregistersInRelease n = new UnregistersInRelease(true);
            mm.register(n);
            return n;
        }, Process::exit);
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void exitsOfMmsSharingOneSelfUnregisteringNotifierNeverDeadlock(int threads) throws Exception {
        // One notifier object registered on every mm: each exit's release unregisters it from its own mm.
        AtomicReference<UnregistersInRelease> shared = new AtomicReference<>();
        run(threads, (mm, i) -> {
            if (i == 0) {
                shared.set(new UnregistersInRelease(true));
            }
            mm.register(shared.get());
            return shared.get();
        }, Process::exit);
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void unregisterFromOutsideWhoseReleaseUnregistersAgainReturnsLast(int threads) throws Exception {
        // The outer unregister calls release, which unregisters again (a no-op on this thread):
        // once the outer call returns, nothing of the notifier runs anywhere.
        run(threads, (mm, i) -> {
            UnregistersInRelease n = new UnregistersInRelease(false);
            mm.register(n);
            return n;
        }, p -> {
            SelfRemoving n = NOTIFIER.get();
            p.mm().unregister(n);
            n.removed(p.mm());
            p.exit();
        });
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void putsFromReleaseNeverDeadlockAndFreeOnce(int threads) throws Exception {
        AtomicInteger frees = new AtomicInteger();
        AtomicInteger allocs = new AtomicInteger();
        MmuNotifierOps<PutsInRelease> ops = new MmuNotifierOps<>() {
            @Override
            public PutsInRelease allocNotifier(MmStruct mm) {
                allocs.incrementAndGet();
                return new PutsInRelease();
            }

            @Override
            public void freeNotifier(PutsInRelease notifier) {
                frees.incrementAndGet();
            }
        };
        run(threads, (mm, i) -> mm.get(ops), Process::exit);
        machine.notifierCore().synchronize();
        assertEquals(allocs.get(), frees.get(), "free_notifier once per put registration");
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void unregisterFromInvalidateRangeStartNeverDeadlocks(int threads) throws Exception {
        run(threads, (mm, i) -> {
            UnregistersInStart n = new UnregistersInStart();
            mm.register(n);
            return n;
        }, p -> {
            p.mm().munmap(REGION, PAGES * PAGE); // start unregisters; end must not reach it
            p.exit();
        });
    }

    private interface Setup {
        SelfRemoving register(AddressSpace mm, int index);
    }

    private interface Teardown {
        void run(Process p) throws Exception;
    }

    /** The notifier of the process the current teardown thread handles. */
    private static final ThreadLocal<SelfRemoving> NOTIFIER = new ThreadLocal<>();

    /**
     * Per round: {@code threads} processes with a few pages each and a notifier each, a
     * dispatcher per process hammering age/test_young/per-page invalidations, and {@code threads}
     * threads that tear their process down at the same instant.
     */
    private void run(int threads, Setup setup, Teardown teardown) throws Exception {
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int rounds = 0;
        try {
            for (; rounds < ROUNDS && System.nanoTime() < deadline; rounds++) {
                List<Process> procs = new ArrayList<>();
                List<SelfRemoving> notifiers = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    Process p = machine.spawn();
                    p.mm().mmap(REGION, PAGES * PAGE, Vma.PROT_READ | Vma.PROT_WRITE, false);
                    for (int pg = 0; pg < PAGES; pg++) {
                        p.mm().write(REGION + pg * PAGE, pg);
                    }
                    procs.add(p);
                    notifiers.add(setup.register(p.mm(), i));
                }
                CyclicBarrier go = new CyclicBarrier(2 * threads);
                AtomicBoolean stop = new AtomicBoolean();
                try (TestSupport.Workers w = new TestSupport.Workers()) {
                    for (int i = 0; i < threads; i++) {
                        Process p = procs.get(i);
                        SelfRemoving n = notifiers.get(i);
                        w.start("dispatch-" + i, () -> {
                            await(go);
                            while (!stop.get() && p.mm().notifiers().hasHooks()) {
                                p.mm().notifiers().agePage(REGION);
                                p.mm().notifiers().testYoung(REGION + PAGE);
                                TestSupport.invalidatePage(p.mm(), REGION + 2 * PAGE);
                            }
                        });
                        w.start("teardown-" + i, () -> {
                            NOTIFIER.set(n);
                            await(go);
                            try {
                                teardown.run(p);
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            } finally {
                                stop.set(true);
                            }
                        });
                    }
                }
                List<SelfRemoving> distinct = notifiers.stream().distinct().toList();
                for (SelfRemoving n : distinct) {
                    assertEquals(0, n.lateCallbacks.get(), "a callback began after its unregister returned");
                }
                assertEquals(threads, distinct.stream().mapToInt(n -> n.releases.get()).sum(),
                        "release once per registration");
                for (Process p : procs) {
                    assertEquals(0, p.mm().notifiers().notifierCount());
                }
            }
        } finally {
            assertTrue(rounds > 0, "no round ran");
            System.out.println(threads + " threads: " + rounds + " rounds");
        }
        assertEquals(0, machine.notifierCore().faults().count(), () -> machine.notifierCore().faults().recent().toString());
        assertEquals(0, machine.notifierCore().watchdog().count(), () -> machine.notifierCore().watchdog().recent().toString());
        assertEquals(0, machine.memory().usedCount(), "every frame is free after every exit");
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
