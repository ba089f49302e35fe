package org.mmunotifier.core.internal.mm;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.core.internal.notifier.MmLifetime;
import org.mmunotifier.core.internal.notifier.MmNotifierSubscriptions;
import org.mmunotifier.core.internal.notifier.NotifierCore;

/**
 * An address space ({@code struct mm_struct}): its {@code mmap_lock}, its lifetimes and its
 * notifier subscriptions. {@code mm_users} counts the tasks (and {@code mmget} callers) using the
 * address space; when it drops to zero, {@link #exitMmap()} runs. The memory manager's
 * {@link AddressSpace} adds the VMAs and page tables.
 */
public abstract class Mm implements MmStruct, MmLifetime {
    private static final AtomicLong IDS = new AtomicLong();

    private final long id = IDS.incrementAndGet();
    private final ReentrantReadWriteLock mmapLock = new ReentrantReadWriteLock();
    private final AtomicInteger users = new AtomicInteger(1);
    /** mm_count: one for all users together, one per registration. */
    private final AtomicInteger count = new AtomicInteger(1);
    private final MmNotifierSubscriptions notifiers;

    protected Mm(NotifierCore core) {
        this.notifiers = core.newSubscriptions(this, this, mmapLock);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean isAlive() {
        return users.get() > 0;
    }

    @Override
    public ReadWriteLock mmapLock() {
        return mmapLock;
    }

    /** Whether the calling thread holds this mm's {@code mmap_lock}, for read or write. */
    public boolean holdsMmapLock() {
        return mmapLock.getReadHoldCount() > 0 || mmapLock.isWriteLockedByCurrentThread();
    }

    /** The hooks the primary MMU calls. */
    public MmNotifierSubscriptions notifiers() {
        return notifiers;
    }

    /**
     * {@code mmget}: takes a user reference unless the mm is already exiting.
     *
     * @throws MmDeadException if it is
     */
    public void mmget() {
        if (!mmgetNotZero()) {
            throw new MmDeadException("mm " + id + " has exited");
        }
    }

    @Override
    public boolean mmgetNotZero() {
        int u;
        do {
            u = users.get();
            if (u <= 0) {
                return false;
            }
        } while (!users.compareAndSet(u, u + 1));
        return true;
    }

    /**
     * {@code mmput}: drops a user reference; the last one runs {@link #exitMmap()}. When that last
     * reference is dropped from inside a notifier callback, or by a thread holding this mm's
     * {@code mmap_lock}, exit runs on a thread of its own ({@code mmput_async}): run here, it would
     * wait for the very callback or lock its caller is in.
     */
    @Override
    public void mmput() {
        int u = users.decrementAndGet();
        if (u == 0) {
            if (notifiers.mustNotExitHere() || holdsMmapLock()) {
                Thread t = new Thread(this::exitAndDrop, "mmput-async-" + id);
                t.setDaemon(true);
                t.start();
            } else {
                exitAndDrop();
            }
        } else if (u < 0) {
            users.incrementAndGet();
            throw new IllegalStateException("mmput on mm " + id + " without a matching mmget");
        }
    }

    private void exitAndDrop() {
        exitMmap();
        mmdrop(); // the users' reference on the structure
    }

    /** {@code mmgrab}: keeps the structure (not the address space) alive. */
    @Override
    public void mmgrab() {
        if (count.getAndIncrement() <= 0) {
            count.decrementAndGet();
            throw new IllegalStateException("mmgrab on freed " + this);
        }
    }

    /** {@code mmdrop}: the last one frees the structure. */
    @Override
    public void mmdrop() {
        if (count.decrementAndGet() < 0) {
            count.incrementAndGet();
            throw new IllegalStateException("mmdrop without a matching mmgrab on " + this);
        }
    }

    /** {@code mm_count}: 0 once the structure is freed. */
    public int mmCount() {
        return count.get();
    }

    /**
     * {@code exit_mmap}: release every notifier before anything is unmapped; the memory manager
     * extends this with the teardown of the address space.
     */
    protected void exitMmap() {
        notifiers.release();
    }

    @Override
    public void register(MmuNotifier notifier) {
        notifiers.register(notifier);
    }

    @Override
    public void registerLocked(MmuNotifier notifier) {
        notifiers.registerLocked(notifier);
    }

    @Override
    public void unregister(MmuNotifier notifier) {
        notifiers.unregister(notifier);
    }

    @Override
    public <N extends MmuNotifier> N get(MmuNotifierOps<N> ops) {
        return notifiers.get(ops);
    }

    @Override
    public <N extends MmuNotifier> N getLocked(MmuNotifierOps<N> ops) {
        return notifiers.getLocked(ops);
    }

    @Override
    public void put(MmuNotifier notifier) {
        notifiers.put(notifier);
    }

    @Override
    public MmuIntervalSubscription insertInterval(long start, long end, MmuIntervalNotifier notifier) {
        return notifiers.insertInterval(start, end, notifier);
    }

    @Override
    public String toString() {
        return "mm " + id;
    }
}
