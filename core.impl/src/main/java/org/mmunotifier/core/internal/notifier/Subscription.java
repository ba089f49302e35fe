package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicInteger;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierOps;

/**
 * One registration of an {@link MmuNotifier} on one mm ({@code struct mmu_notifier}).
 *
 * <p>{@code state} goes ACTIVE → RELEASING → DEAD, or ACTIVE → DEAD for a put. Exit and unregister
 * both try ACTIVE → RELEASING; the one that wins calls {@code release} while the notifier is still
 * linked, then unlinks it and marks it DEAD. That gives exactly one {@code release} (Linux can
 * call it twice) without unlinking first, which in Linux let reclaim free pages a secondary MMU
 * still mapped (3ad3d901bbcf).
 */
final class Subscription implements Lease {
    private static final int ACTIVE = 0;
    private static final int RELEASING = 1;
    private static final int DEAD = 2;

    final MmuNotifier notifier;
    /** The ops it was allocated by, for get/put registrations; null for register/unregister. */
    final MmuNotifierOps<?> ops;
    /** Whose code {@link #notifier} is. */
    final Owner owner;
    /** References taken by get (guarded by the subscriptions' lock). */
    int users;

    private final MmNotifierSubscriptions subs;

    private final AtomicInteger state = new AtomicInteger(ACTIVE);
    private volatile Thread releaser;

    Subscription(MmNotifierSubscriptions subs, MmuNotifier notifier, MmuNotifierOps<?> ops, Owner owner) {
        this.subs = subs;
        this.notifier = notifier;
        this.ops = ops;
        this.owner = owner;
        this.users = 1;
    }

    @Override
    public void forceRemove() {
        subs.forceRemove(this);
    }

    @Override
    public String describe() {
        return (ops == null ? "notifier " : "get/put notifier ") + NotifierFault.identify(notifier) + " on mm " + mmId();
    }

    @Override
    public long mmId() {
        return subs.mmId();
    }

    /** Wins the right to call {@code release}; the winner must later call {@link #markDead()}. */
    boolean tryBeginRelease() {
        if (state.compareAndSet(ACTIVE, RELEASING)) {
            releaser = Thread.currentThread();
            return true;
        }
        return false;
    }

    /** For put: dead without release. False if a release is already under way. */
    boolean tryKill() {
        if (state.compareAndSet(ACTIVE, DEAD)) {
            wake();
            return true;
        }
        return false;
    }

    boolean isReleasingOnThisThread() {
        return state.get() == RELEASING && releaser == Thread.currentThread();
    }

    boolean isDead() {
        return state.get() == DEAD;
    }

    boolean isActive() {
        return state.get() == ACTIVE;
    }

    void markDead() {
        state.set(DEAD);
        wake();
    }

    private synchronized void wake() {
        notifyAll();
    }

    /** Waits until whoever is releasing this subscription has unlinked it. */
    synchronized void awaitDead() {
        boolean interrupted = false;
        while (state.get() != DEAD) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return NotifierFault.identify(notifier) + "[" + switch (state.get()) {
            case ACTIVE -> "active";
            case RELEASING -> "releasing";
            default -> "dead";
        } + "]";
    }
}
