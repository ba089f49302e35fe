package org.mmunotifier.core.internal.notifier;

import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;

/**
 * The single-call hooks, one constant each, so one loop serves them all without allocating:
 * each hook passes its constant, and the JIT sees one target per call site.
 */
enum Callback {
    AGE_PAGE(CallKind.AGE_PAGE, false) {
        @Override
        boolean call(MmuNotifier n, MmStruct mm, long a, long b, boolean flag) {
            return n.agePage(mm, a);
        }
    },
    /** {@code try_to_unmap_one}'s young check: the older contracts only. */
    UNMAP_AGE_PAGE(CallKind.AGE_PAGE, false) {
        @Override
        boolean call(MmuNotifier n, MmStruct mm, long a, long b, boolean flag) {
            return n.agePage(mm, a);
        }
    },
    CLEAR_YOUNG(CallKind.CLEAR_YOUNG, false) {
        @Override
        boolean call(MmuNotifier n, MmStruct mm, long a, long b, boolean flag) {
            return n.clearYoung(mm, a, b);
        }
    },
    /** Like Linux, stops at the first secondary MMU that says young. */
    TEST_YOUNG(CallKind.TEST_YOUNG, true) {
        @Override
        boolean call(MmuNotifier n, MmStruct mm, long a, long b, boolean flag) {
            return n.testYoung(mm, a);
        }
    };

    final CallKind kind;
    final boolean stopAtFirstTrue;

    Callback(CallKind kind, boolean stopAtFirstTrue) {
        this.kind = kind;
        this.stopAtFirstTrue = stopAtFirstTrue;
    }

    abstract boolean call(MmuNotifier n, MmStruct mm, long a, long b, boolean flag);

    /**
     * Whether a notifier under {@code contract} gets this call: reclaim's aging ({@code age_page},
     * {@code clear_flush_young}) in every contract; the second one {@code try_to_unmap_one} made
     * only in the seed and 2.6.27; {@code clear_young} and {@code test_young} only in 6.x.
     */
    boolean reaches(MmuNotifierContract contract) {
        return switch (this) {
            case AGE_PAGE -> true;
            case UNMAP_AGE_PAGE -> contract != MmuNotifierContract.V6;
            case CLEAR_YOUNG, TEST_YOUNG -> contract == MmuNotifierContract.V6;
        };
    }
}
