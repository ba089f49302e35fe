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
 *
 * <p>Next to it, on the same line, the owner says which callback it is running: {@link #calling}
 * (the registration's id, {@link #NESTED} set when a callback runs inside another callback) and
 * the operation and its arguments. Plain stores by the owner, read racily by grace periods and
 * the {@link StallWatchdog}: they are trusted only once the slot has stopped moving (the thread is
 * blocked in a core wait, or has been stuck in the same callback for a stall's length), so a torn
 * or stale read cannot matter. They are primitives on purpose: storing a reference into this
 * long-lived object would cost a GC card-mark fence on every callback.
 */
public final class ReaderSlot extends ReaderSlotState {
    /** Set in {@link #calling} when the callback runs inside another callback of this thread. */
    static final long NESTED = 1L << 62;

    /** Registration id of the callback running now on this thread (0: none), maybe {@link #NESTED}. */
    long calling;
    /** What the running dispatch is ({@link CallKind#pack}), and its arguments. */
    int kind;
    long arg0;
    long arg1;
    /**
     * The owner is blocked inside the core (a grace period, or waiting for another thread's
     * release) while inside a section: it runs no callback until it returns, so a grace period
     * need not wait for it unless it is inside one of the callbacks that grace period is for.
     * Volatile: written after {@link #calling}, it publishes it.
     */
    volatile boolean waitingInCore;
    /** What the {@link StallWatchdog} last saw here; written by its thread only. */
    volatile StallWatchdog.Seen seen;

    // Trailing padding: keeps the next object off this line.
    long q0, q1, q2, q3, q4, q5, q6, q7;

    final Thread owner;

    ReaderSlot(Thread owner) {
        this.owner = owner;
    }

    /**
     * Begins a dispatch on this thread: records what it is. Returns what was recorded before, to
     * be given back to {@link #endDispatch}; callbacks may nest (a callback faulting pages in can
     * trigger reclaim, which dispatches again).
     */
    long beginDispatch(int what, long a, long b) {
        long outer = calling;
        if (outer != 0) {
            saveOuter();
        }
        kind = what;
        arg0 = a;
        arg1 = b;
        return outer;
    }

    /** About to call the callback of registration {@code id} (see {@link #beginDispatch}). */
    void calling(long id, long outer) {
        calling = outer == 0 ? id : id | NESTED;
    }

    /** The dispatch begun by {@link #beginDispatch} returning {@code outer} is over. */
    void endDispatch(long outer) {
        calling = outer;
        if (outer != 0) {
            restoreOuter();
        }
    }

    // The nested case is rare: keep the outer dispatch's description aside on the slot itself
    // (one level: a third level of nesting loses the outermost description, not its id).
    private int outerKind;
    private long outerArg0;
    private long outerArg1;

    private void saveOuter() {
        outerKind = kind;
        outerArg0 = arg0;
        outerArg1 = arg1;
    }

    private void restoreOuter() {
        kind = outerKind;
        arg0 = outerArg0;
        arg1 = outerArg1;
    }

    static long registration(long calling) {
        return calling & ~NESTED;
    }

    static boolean isNested(long calling) {
        return (calling & NESTED) != 0;
    }
}

abstract class ReaderSlotPad {
    // Leading padding: keeps the object header and whatever precedes it off state's line.
    long p0, p1, p2, p3, p4, p5, p6, p7;
}

abstract class ReaderSlotState extends ReaderSlotPad {
    static final VarHandle STATE = VarHandles.field(MethodHandles.lookup(), "state", long.class);

    volatile long state;

    static int nesting(long state) {
        return (int) state;
    }

    static long generation(long state) {
        return state >>> 32;
    }
}
