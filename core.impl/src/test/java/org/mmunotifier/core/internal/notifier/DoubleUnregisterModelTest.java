package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.NotRegisteredException;

/**
 * Lincheck: two threads unregister the same notifier (invariants 3 and 12). Contract: exactly one
 * call succeeds, the other throws {@link NotRegisteredException}, and release runs once.
 */
@Tag("lincheck")
class DoubleUnregisterModelTest {

    @Test
    void exactlyOneOfTwoConcurrentUnregisterCallsSucceeds() {
        ModelCheck.run(100, () -> {
            ModelCheck.World w = new ModelCheck.World();
            AtomicInteger succeeded = new AtomicInteger();
            AtomicInteger notRegistered = new AtomicInteger();
            MmuNotifier notifier = new MmuNotifier() {
                @Override
                public void release(MmStruct m) {
                    w.releases.incrementAndGet();
                }
            };
            w.mm.register(notifier);
            Runnable unregister = () -> {
                try {
                    w.mm.unregister(notifier);
                    succeeded.incrementAndGet();
                } catch (NotRegisteredException e) {
                    notRegistered.incrementAndGet();
                }
            };

            ModelCheck.race(unregister, unregister);

            w.contract.expect(succeeded.get() == 1 && notRegistered.get() == 1, "of two concurrent unregister calls "
                    + succeeded.get() + " returned normally and " + notRegistered.get()
                    + " threw NotRegisteredException; exactly one must succeed");
            w.expectReleasedOnce("two concurrent unregister calls");
            w.contract.verify();
        });
    }
}
