package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/**
 * Invariant 10: dispatch takes no lock shared with other readers or with writers. Two readers are
 * inside the same notifier at the same moment while a registration is blocked on mmap_lock and a
 * third thread is waiting in unregister for a grace period.
 */
class LockFreeReadSideTest extends NotifierTestBase {
    @Test
    void readersRunTogetherWhileWritersAreBlocked() throws Exception {
        CyclicBarrier bothInside = new CyclicBarrier(2);
        CountDownLatch together = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        MmuNotifier rendezvous = new MmuNotifier() {
            @Override
            public boolean agePage(MmStruct m, long address) {
                try {
                    // Only returns if the other reader is inside the callback at the same time.
                    bothInside.await(5, TimeUnit.SECONDS);
                    together.countDown();
                    release.await(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError("readers were serialised", e);
                }
                return true;
            }
        };
        MmuNotifier doomed = new RecordingNotifier();
        mm.register(rendezvous);
        mm.register(doomed);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (TestSupport.Workers w = new TestSupport.Workers()) {
                w.start("reader-1", () -> assertTrue(mm.notifiers().agePage(0)));
                w.start("reader-2", () -> assertTrue(mm.notifiers().agePage(0)));
                // Writers that must not get in the readers' way:
                mm.mmapLock().writeLock().lock();
                w.start("register", () -> mm.register(new RecordingNotifier())); // blocks on mmap_lock
                w.start("unregister", () -> mm.unregister(doomed)); // waits for the readers' grace period
                assertTrue(together.await(5, TimeUnit.SECONDS), "the readers were not inside together");
                release.countDown();
                mm.mmapLock().writeLock().unlock();
            }
        });
    }

    @Test
    void readersOnDifferentThreadsUseDifferentSlots() throws Exception {
        ReaderSlot[] seen = new ReaderSlot[2];
        Thread a = new Thread(() -> {
            seen[0] = core.srcu().enter();
            core.srcu().exit(seen[0]);
        });
        Thread b = new Thread(() -> {
            seen[1] = core.srcu().enter();
            core.srcu().exit(seen[1]);
        });
        a.start();
        b.start();
        a.join();
        b.join();
        assertNotSame(seen[0], seen[1]);
    }
}
