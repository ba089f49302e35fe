package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;

/**
 * Lincheck: a driver's owner is closed (the bundle is stopping) while the same driver registers a
 * notifier and another thread dispatches (invariant 11). Contract: no callback enters the owner
 * after its close returned, and the late-call counter stays 0, since no call was made into the
 * owner after it was gone.
 */
@Tag("lincheck")
class OwnerCloseModelTest {

    @Test
    void noLateCallWhenCloseRacesARegistrationAndADispatch() {
        ModelCheck.run(600, () -> {
            ModelCheck.World w = new ModelCheck.World();
            Owner driver = w.core.newOwner("driver", 7);
            AtomicBoolean closeReturned = new AtomicBoolean();
            MmuNotifier notifier = new MmuNotifier() {
                @Override
                public boolean agePage(MmStruct m, long address) {
                    w.contract.expect(!closeReturned.get(), "agePage entered the owner after its close returned");
                    return true;
                }
            };
            w.core.setOwnerResolver(code -> code == notifier ? driver : Owner.NONE);

            ModelCheck.race(() -> {
                try {
                    w.mm.register(notifier);
                } catch (IllegalStateException e) {
                    // refused: the owner is closing
                }
            }, () -> {
                driver.close(false);
                closeReturned.set(true);
            }, () -> w.mm.notifiers().agePage(0));

            w.contract.expect(w.core.lateCalls() == 0, "the late-call counter reads " + w.core.lateCalls()
                    + " although no call was made into the owner after it was gone");
            w.contract.verify();
        });
    }
}
