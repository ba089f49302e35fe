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
     * Whether a notifier under {@code contract} gets this call: aging ({@code age_page},
     * {@code clear_flush_young}) in every contract; {@code clear_young} and {@code test_young} only
     * in 6.x.
     */
    boolean reaches(MmuNotifierContract contract) {
        return this == AGE_PAGE || contract == MmuNotifierContract.V6;
    }
}
