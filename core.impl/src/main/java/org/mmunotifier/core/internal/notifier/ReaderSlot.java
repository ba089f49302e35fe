package org.mmunotifier.core.internal.notifier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's read-side state in a {@link Srcu} domain, alone on its cache lines so that readers
 * on different threads never write the same line.
 *
 * <p>{@code state} packs the section generation (high 32 bits, bumped on every outermost enter)
 * and the nesting depth (low 32 bits). Only the owning thread writes it; grace-period waiters read
 * it.
 */
public final class ReaderSlot extends ReaderSlotState {
    // Trailing padding: keeps the next object off state's line.
    long q0, q1, q2, q3, q4, q5, q6, q7;

    final Thread owner;

    ReaderSlot(Thread owner) {
        this.owner = owner;
    }
}

abstract class ReaderSlotPad {
    // Leading padding: keeps the object header and whatever precedes it off state's line.
    long p0, p1, p2, p3, p4, p5, p6, p7;
}

abstract class ReaderSlotState extends ReaderSlotPad {
    static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ReaderSlotState.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile long state;

    static int nesting(long state) {
        return (int) state;
    }

    static long generation(long state) {
        return state >>> 32;
    }
}
