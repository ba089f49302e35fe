package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;

/**
 * Lincheck: exit and unregister race for the release of one notifier while a third thread
 * dispatches to it (invariants 2 and 3).
 */
@Tag("lincheck")
class ExitVsUnregisterModelTest {

    /**
     * Release runs exactly once and has finished before exit returns; after unregister returns,
     * and after exit returns, no callback of the notifier begins.
     */
    @Test
    void releaseOnceAndBeforeExitReturnsAndNothingAfterwards() {
        ModelCheck.run(100, () -> {
            ModelCheck.World w = new ModelCheck.World();
            AtomicBoolean releaseFinished = new AtomicBoolean();
            AtomicBoolean unregisterReturned = new AtomicBoolean();
            AtomicBoolean exitReturned = new AtomicBoolean();
            MmuNotifier n = new MmuNotifier() {
                @Override
                public void release(MmStruct m) {
                    w.releases.incrementAndGet();
                    begins("release");
                    releaseFinished.set(true);
                }

                @Override
                public boolean agePage(MmStruct m, long address) {
                    begins("agePage");
                    return true;
                }

                private void begins(String callback) {
                    w.contract.expect(!unregisterReturned.get(), callback + " began after unregister returned");
                    w.contract.expect(!exitReturned.get(), callback + " began after exit returned");
                }
            };
            w.mm.register(n);

            ModelCheck.race(() -> {
                w.mm.unregister(n);
                unregisterReturned.set(true);
            }, () -> {
                w.process.exit();
                exitReturned.set(true);
                w.contract.expect(releaseFinished.get(), "exit returned before the notifier's release had finished");
            }, () -> w.mm.notifiers().agePage(0));

            w.expectReleasedOnce("exit racing unregister");
            w.contract.verify();
        });
    }
}
