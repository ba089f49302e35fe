package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;

/**
 * Lincheck: a notifier unregisters itself from inside its release while another thread
 * dispatches to it (invariants 2 and 4). Contract: once that unregister has returned, no callback
 * of the notifier begins, whoever called the release.
 */
@Tag("lincheck")
class UnregisterFromReleaseModelTest {

    @Test
    void releaseCalledByExit() {
        check(w -> w.process.exit());
    }

    @Test
    void releaseCalledByUnregister() {
        check(w -> w.mm.unregister(w.notifier));
    }

    private static void check(Consumer<SelfUnregistering> releaser) {
        ModelCheck.run(100, () -> {
            SelfUnregistering w = new SelfUnregistering();
            w.mm.register(w.notifier);
            ModelCheck.race(() -> releaser.accept(w), () -> {
                w.mm.notifiers().agePage(0);
                w.mm.notifiers().agePage(0);
            });
            w.contract.verify();
        });
    }

    private static final class SelfUnregistering extends ModelCheck.World {
        final AtomicBoolean unregisterReturned = new AtomicBoolean();
        final MmuNotifier notifier = new MmuNotifier() {
            @Override
            public void release(MmStruct m) {
                m.unregister(this);
                unregisterReturned.set(true);
            }

            @Override
            public boolean agePage(MmStruct m, long address) {
                contract.expect(!unregisterReturned.get(),
                        "agePage began after the unregister called from release had returned");
                return true;
            }
        };
    }
}
