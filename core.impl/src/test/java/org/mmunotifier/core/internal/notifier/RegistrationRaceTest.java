package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;

/**
 * Invariant 6: a driver registering while the primary is invalidating cannot end up mapping a
 * page that invalidation frees. The primary unmaps and refaults in a loop; a stream of mirrors
 * registers and at once starts accessing pages, faulting them in with KVM's in_progress/seq
 * protocol.
 */
class RegistrationRaceTest extends NotifierTestBase {

    /** A secondary MMU with KVM's invalidate/retry protocol. */
    static final class KvmMirror extends MiniPrimary.Mirror implements MmuNotifier {
        private int inProgress; // guarded by this
        private long seq; // guarded by this

        KvmMirror(MiniPrimary primary) {
            super(primary);
        }

        @Override
        public synchronized boolean invalidateRangeStart(MmuNotifierRange range) {
            inProgress++;
            zap(range);
            return true;
        }

        @Override
        public synchronized void invalidateRangeEnd(MmuNotifierRange range) {
            seq++;
            inProgress--;
        }

        @Override
        public void release(MmStruct m) {
            zapAll();
        }

        @Override
        void access(int index) {
            if (accessMapped(index)) {
                return;
            }
            long s;
            synchronized (this) {
                s = seq;
            }
            long entry = primary.lookup(index);
            synchronized (this) {
                if (entry != 0 && inProgress == 0 && seq == s) { // else mmu_invalidate_retry
                    install(index, entry);
                }
            }
        }
    }

    @Test
    void aDriverRegisteringDuringAnInvalidationNeverMapsAFreedPage() throws Exception {
        MiniPrimary primary = new MiniPrimary(mm);
        int rounds = primary.race(Duration.ofSeconds(3), 1_500, p -> {
            KvmMirror m = new KvmMirror(p);
            mm.register(m);
            return m;
        }, mm::unregister);
        assertTrue(rounds > 50, "too few rounds: " + rounds);
        assertEquals(0, primary.violations.get(),
                "a secondary MMU used a page the primary freed (" + rounds + " rounds)");
    }
}
