package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierOps;

/**
 * Lincheck: {@code get} (a shared registration) races exit. Contract: a get that fails with
 * {@link MmDeadException} frees (free_notifier) whatever it allocated; a get that succeeds gets
 * its release from the exit exactly once.
 */
@Tag("lincheck")
class GetVsExitModelTest {

    @Test
    void aFailedGetFreesWhatItAllocated() {
        ModelCheck.run(400, () -> {
            ModelCheck.World w = new ModelCheck.World();
            AtomicInteger allocated = new AtomicInteger();
            AtomicInteger freed = new AtomicInteger();
            AtomicBoolean refused = new AtomicBoolean();
            MmuNotifierOps<MmuNotifier> ops = new MmuNotifierOps<>() {
                @Override
                public MmuNotifier allocNotifier(MmStruct m) {
                    allocated.incrementAndGet();
                    return new MmuNotifier() {
                        @Override
                        public void release(MmStruct mm) {
                            w.releases.incrementAndGet();
                        }
                    };
                }

                @Override
                public void freeNotifier(MmuNotifier notifier) {
                    freed.incrementAndGet();
                }
            };

            ModelCheck.race(() -> {
                try {
                    w.mm.get(ops);
                } catch (MmDeadException e) {
                    refused.set(true);
                }
            }, w.process::exit);

            if (refused.get()) {
                w.contract.expect(freed.get() == allocated.get(), "get failed with MmDeadException but freed "
                        + freed.get() + " of the " + allocated.get() + " notifier(s) it allocated");
            } else {
                w.expectReleasedOnce("get succeeded, then the mm exited");
            }
            w.contract.verify();
        });
    }
}
