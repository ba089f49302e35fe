package org.mmunotifier.core.internal.notifier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.core.internal.util.BoundedWait;

/**
 * One registration of an {@link MmuNotifier} on one mm ({@code struct mmu_notifier}).
 *
 * <p>{@code state} goes ACTIVE → RELEASING → DEAD, or ACTIVE → DEAD for a put, a forced removal,
 * or an unregister from inside its own release. Exit and unregister both try ACTIVE → RELEASING,
 * each inside a read-side section; the one that wins calls {@code release} while the notifier is
 * still linked, then unlinks it and marks it DEAD. That gives exactly one {@code release} (Linux
 * can call it twice) without unlinking first, which in Linux let reclaim free pages a secondary
 * MMU still mapped (3ad3d901bbcf). Every dispatch reads the state before each call and skips a
 * DEAD registration, so once DEAD no new callback of it begins.
 */
final class Subscription implements Lease {
    private static final int ACTIVE = 0;
    private static final int RELEASING = 1;
    private static final int DEAD = 2;
    /** The lifecycle's bits of {@code state}. */
    private static final int LIFECYCLE = 3;
    /**
     * Set on top of the lifecycle once the owner is gone ({@link #ownerGone}): the dispatch reads
     * one word to know it may call, instead of this state and then the owner's flag.
     */
    private static final int OWNER_GONE = 4;
    private static final VarHandle STATE = VarHandles.field(MethodHandles.lookup(), "state", int.class);

    /** Bits of {@link #brackets}: the operations whose invalidations come as range start and end. */
    static final int RANGE_OPS = 1;
    static final int PAGE_OPS = 2;

    final MmuNotifier notifier;
    /** {@code identity.id}, and what its contract brackets with start/end: read per call, kept on this object. */
    final long id;
    final int brackets;
    /** The ops it was allocated by, for get/put registrations; null for register/unregister. */
    final MmuNotifierOps<?> ops;
    final Identity identity;
    /** Which invalidation callbacks the notifier fills in. */
    final Implemented implemented;
    /** Whose code {@link #notifier} is. */
    final Owner owner;
    /** References taken by get (guarded by the subscriptions' lock). */
    int users;

    private final MmNotifierSubscriptions subs;

    private volatile int state = ACTIVE; // one load on the dispatch path (callable)
    private volatile Thread releaser;

    Subscription(MmNotifierSubscriptions subs, MmuNotifier notifier, MmuNotifierOps<?> ops, Identity identity) {
        this.subs = subs;
        this.notifier = notifier;
        this.ops = ops;
        this.identity = identity;
        this.id = identity.id;
        this.brackets = switch (identity.contract) {
            case V6 -> RANGE_OPS | PAGE_OPS;
            case V2_6_27 -> RANGE_OPS; // a single-page operation is its invalidate_page
            case SEED -> 0;
        };
        this.implemented = Implemented.by(notifier);
        this.owner = identity.owner;
        this.users = 1;
    }

    @Override
    public Identity identity() {
        return identity;
    }

    @Override
    public void forceRemove() {
        subs.forceRemove(this);
    }

    @Override
    public String describe() {
        return (ops == null ? "notifier " : "get/put notifier ") + identity.notifier + " on mm " + mmId();
    }

    @Override
    public long mmId() {
        return subs.mmId();
    }

    /**
     * Wins the right to call {@code release}; the winner must later call {@link #markDead()}. Call
     * it inside a read-side section, and call release in that same section: exit's grace period
     * then waits for a release that unregister won (a claim made outside a section could be
     * missed by exit's grace period, and exit would free the pages before that release ran).
     */
    boolean tryBeginRelease() {
        if (claim(RELEASING)) {
            releaser = Thread.currentThread();
            return true;
        }
        return false;
    }

    /** Dead without release (put, forced removal). False if a release is under way or done. */
    boolean tryKill() {
        if (claim(DEAD)) {
            identity.retire();
            wake();
            return true;
        }
        return false;
    }

    /** ACTIVE → {@code next}, keeping {@link #OWNER_GONE}; false if no longer active. */
    private boolean claim(int next) {
        while (true) {
            int st = state;
            if ((st & LIFECYCLE) != ACTIVE) {
                return false;
            }
            if (STATE.compareAndSet(this, st, st | next)) {
                return true;
            }
        }
    }

    boolean isReleasingOnThisThread() {
        return (state & LIFECYCLE) == RELEASING && releaser == Thread.currentThread();
    }

    boolean isDead() {
        return (state & LIFECYCLE) == DEAD;
    }

    /**
     * Whether a dispatch may call it now: not dead, and its owner not gone. One volatile load;
     * a refusal for a gone owner is counted ({@link Owner#refused}), a dead registration is
     * skipped silently.
     */
    boolean callable() {
        int st = state;
        if (st <= RELEASING) {
            return true;
        }
        if ((st & LIFECYCLE) != DEAD) {
            owner.refused();
        }
        return false;
    }

    /** Its owner is gone: no dispatch calls it from now on (see {@link Owner#close}). */
    @Override
    public void ownerGone() {
        STATE.getAndBitwiseOr(this, OWNER_GONE);
    }

    boolean isActive() {
        return (state & LIFECYCLE) == ACTIVE;
    }

    /** No new callback begins once this is set. */
    void markDead() {
        state = DEAD;
        identity.retire();
        wake();
    }

    private synchronized void wake() {
        notifyAll();
    }

    /**
     * Waits until whoever is releasing this subscription has marked it dead, for at most
     * {@code giveUpNanos}.
     *
     * @return false if it gave up (the release is stuck in the driver)
     */
    synchronized boolean awaitDead(long giveUpNanos) {
        return BoundedWait.await(this, this::isDead, giveUpNanos);
    }

    @Override
    public String toString() {
        return identity.notifier + "[" + switch (state & LIFECYCLE) {
            case ACTIVE -> "active";
            case RELEASING -> "releasing";
            default -> "dead";
        } + "]";
    }
}
