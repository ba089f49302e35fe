package org.mmunotifier.drivers.kvm.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code vcpu->mode}: whether a vCPU is in guest mode, where it accesses memory through the sptes
 * without {@code mmu_lock}. A counter, odd while in guest mode, so that a waiter can tell "left
 * since I looked" from "in again".
 */
final class GuestMode {
    private final AtomicLong entries = new AtomicLong();

    /**
     * Enters guest mode. The increment is a full fence: the sptes read after it cannot be read
     * before it, so a zap that drops an spte and then finds this vCPU outside guest mode knows
     * its next entry will see the drop.
     *
     * @return the mode to hand to {@link #exit(long)}
     */
    long enter() {
        return entries.incrementAndGet();
    }

    /** Leaves guest mode; the access made in it is done. */
    void exit(long mode) {
        entries.lazySet(mode + 1);
    }

    /** If in guest mode now, waits until that stay is over (a later one is not waited for). */
    void awaitExit() {
        long m = entries.get();
        if ((m & 1) == 0) {
            return;
        }
        for (int spins = 0; entries.get() == m; spins++) {
            if (spins < 1_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the vCPU's thread may be off its CPU: let it back on
            }
        }
    }
}
