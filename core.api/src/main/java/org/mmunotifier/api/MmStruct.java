package org.mmunotifier.api;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A process address space ({@code struct mm_struct}) as a driver sees it: its {@code mmap_lock}
 * and its notifier subscriptions.
 *
 * <p>Registration waits for every invalidation in flight: each primary-MMU operation that removes
 * mappings holds {@code mmap_lock} (for read at least), and registration takes it for write, as
 * {@code mm_take_all_locks()} does in Linux. A new notifier therefore never sees an
 * {@code invalidateRangeEnd} without its start, and cannot mirror a page an invalidation it did
 * not hear about is removing.
 */
@ProviderType
public interface MmStruct {

    /** A number that identifies this mm for its lifetime. */
    long id();

    /** Whether the mm still has users ({@code mm_users > 0}); false once exit has begun. */
    boolean isAlive();

    /**
     * {@code mmget_not_zero}: pins the address space (one more user) unless it has begun to exit.
     * A driver that pins an mm keeps exit from tearing it down until its {@link #mmput}, as the
     * kernel requires around {@code hmm_range_fault} and interval inserts.
     *
     * @return false if the mm is exiting or gone (nothing was taken)
     */
    boolean mmgetNotZero();

    /**
     * {@code mmput}: drops a pin taken by {@link #mmgetNotZero}. If it was the last user, the mm
     * exits (its notifiers get {@code release}, its pages are freed); from inside a notifier
     * callback or with {@code mmap_lock} held, that exit runs on another thread
     * ({@code mmput_async}).
     *
     * <p>Drop only what you took: a driver that drops the process's own reference makes it exit.
     *
     * @throws IllegalStateException if the mm has no user left
     */
    void mmput();

    /** {@code mmap_lock}: reentrant; hold it for read around page faults done on the driver's behalf. */
    ReadWriteLock mmapLock();

    /**
     * {@code hmm_range_fault} / {@code get_user_pages}: faults every page of {@code [start, end)} in
     * (breaking copy-on-write for a write) under {@code mmap_lock} for read, and returns the frames
     * with their generation. The result is a snapshot: install it only after checking your
     * invalidation sequence (KVM's retry, or {@link MmuIntervalSubscription#readRetry}).
     *
     * @throws InvalidRangeException if the range is not page aligned, is empty or inverted, or is
     *         over 2^20 pages (4 GiB; checked after the mappings, so an unmapped range is a
     *         segmentation fault whatever its size)
     * @throws SegmentationFaultException if a page has no mapping or forbids the access (checked
     *         for the whole range before any page is faulted in)
     * @throws MmDeadException if the mm has exited
     * @throws OutOfMemoryException if no frame is left even after reclaim
     */
    MappedFrame[] faultRange(long start, long end, boolean write);

    /**
     * {@link #faultRange(long, long, boolean)} for a device engine: waits at most {@code timeout}
     * for {@code mmap_lock} ({@code mmap_read_trylock} with a bound), so that an engine serving
     * many address spaces does not stall on one whose lock is held by a stuck thread.
     *
     * @throws MmBusyException if the lock was not free within {@code timeout}, or the thread was
     *         interrupted while waiting (the interrupt status is kept); nothing was faulted in
     */
    default MappedFrame[] faultRange(long start, long end, boolean write, long timeout, TimeUnit unit) {
        Lock read = mmapLock().readLock();
        try {
            if (!read.tryLock(timeout, unit)) {
                throw new MmBusyException("mm " + id() + ": mmap_lock stayed held for " + unit.toMillis(timeout)
                        + " ms; fault of [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                        + ") not done");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MmBusyException("mm " + id() + ": interrupted while waiting for mmap_lock");
        }
        try {
            return faultRange(start, end, write);
        } finally {
            read.unlock();
        }
    }

    /**
     * {@code make_device_exclusive}: faults {@code [start, end)} in for writing and takes it away
     * from the CPU and every other secondary MMU in one {@link MmuNotifierEvent#EXCLUSIVE}
     * invalidation naming {@code owner} (a driver skips the invalidations its own device caused),
     * then returns the pages for the owner's device. A CPU access, or a fault by anyone, gives a
     * page back to the CPU in another {@code EXCLUSIVE} invalidation (with no owner).
     *
     * @throws InvalidRangeException if the range is not page aligned or is empty or inverted
     * @throws SegmentationFaultException if a page has no mapping or is not writable
     * @throws MmDeadException if the mm has exited
     */
    MappedFrame[] makeDeviceExclusive(long start, long end, Object owner);

    /**
     * {@code mmu_notifier_register}: takes {@code mmap_lock} for write and links {@code notifier}.
     *
     * @throws NullPointerException if {@code notifier} is null
     * @throws AlreadyRegisteredException if {@code notifier} is registered on this mm
     * @throws MmDeadException if the mm has begun to exit
     * @throws NotifiersDisabledException if notifiers are compiled out
     */
    void register(MmuNotifier notifier);

    /**
     * {@code __mmu_notifier_register}: as {@link #register} for a caller that already holds
     * {@code mmap_lock} for write.
     *
     * @throws IllegalMonitorStateException if the caller does not hold {@code mmap_lock} for write
     */
    void registerLocked(MmuNotifier notifier);

    /**
     * {@code mmu_notifier_unregister}: if exit has not yet done so, calls
     * {@link MmuNotifier#release} (still linked), unlinks the notifier, and waits until no
     * callback of it is running on another thread. Called from one of the notifier's own
     * callbacks it does not wait for that callback. Unregistering after exit released the
     * notifier is allowed (and required, to forget it).
     *
     * @throws NotRegisteredException if {@code notifier} is not registered on this mm
     */
    void unregister(MmuNotifier notifier);

    /**
     * {@code mmu_notifier_get}: the notifier {@code ops} allocated for this mm, allocating and
     * registering it on first use; each call takes a reference that {@link #put} drops. Takes
     * {@code mmap_lock} for write.
     */
    <N extends MmuNotifier> N get(MmuNotifierOps<N> ops);

    /** {@code mmu_notifier_get_locked}: as {@link #get} for a caller holding {@code mmap_lock} for write. */
    <N extends MmuNotifier> N getLocked(MmuNotifierOps<N> ops);

    /**
     * {@code mmu_notifier_put}: drops a reference taken by {@link #get}. The last one unlinks the
     * notifier without calling {@code release} and, after a grace period, hands it to
     * {@link MmuNotifierOps#freeNotifier} on another thread. May be called from a callback.
     *
     * @throws NotRegisteredException if {@code notifier} was not obtained from {@link #get} on this mm
     */
    void put(MmuNotifier notifier);

    /**
     * {@code mmu_interval_notifier_insert}: subscribe {@code notifier} to invalidations that
     * intersect {@code [start, end)}. The subscription may not be in the tree yet when this
     * returns; establish mappings with {@link MmuIntervalSubscription#readBegin()}.
     *
     * @throws InvalidRangeException if the range is not page aligned, empty, inverted or outside
     *         the user address space
     */
    MmuIntervalSubscription insertInterval(long start, long end, MmuIntervalNotifier notifier);
}
