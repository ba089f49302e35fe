package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmuIntervalNotifier;

/**
 * Lincheck: an interval subscription is inserted while the mm exits. Contract: the insert either
 * fails with {@link MmDeadException} or its interval is invalidated by the teardown (an interval
 * that hears nothing would keep mirroring pages the exit frees).
 */
@Tag("lincheck")
class IntervalInsertVsExitModelTest {
    private static final long PAGE = Addresses.PAGE_SIZE;

    @Test
    void anInsertIsRefusedOrHearsTheTeardown() {
        ModelCheck.run(200, () -> {
            ModelCheck.World w = new ModelCheck.World();
            AtomicBoolean inserted = new AtomicBoolean();
            AtomicBoolean invalidated = new AtomicBoolean();
            MmuIntervalNotifier notifier = (sub, range, seq) -> {
                if (range.start() <= 0 && range.end() >= PAGE) {
                    invalidated.set(true);
                }
                return true;
            };

            ModelCheck.race(() -> {
                try {
                    w.mm.insertInterval(0, PAGE, notifier);
                    inserted.set(true);
                } catch (MmDeadException e) {
                    // refused: the mm had begun to exit
                }
            }, w.process::exit);

            w.contract.expect(!inserted.get() || invalidated.get(),
                    "insertInterval succeeded on an exiting mm and the teardown never invalidated its interval");
            w.contract.verify();
        });
    }
}
