package org.mmunotifier.api;

import java.util.concurrent.TimeUnit;
import org.osgi.annotation.versioning.ProviderType;

/**
 * An interval subscription ({@code struct mmu_interval_notifier}) over {@code [start, end)} of an
 * mm, created by {@link MmStruct#insertInterval}. A driver establishes mappings with the sequence
 * protocol:
 *
 * <pre>
 * again:
 *   long seq = sub.readBegin();
 *   fault the pages in (may block);
 *   lock(driver.update);
 *   if (sub.readRetry(seq)) { unlock(driver.update); goto again; }
 *   install the mappings;
 *   unlock(driver.update);
 * </pre>
 *
 * where {@code driver.update} is the lock the invalidate callback takes around {@link #setSeq}.
 */
@ProviderType
public interface MmuIntervalSubscription {

    MmStruct mm();

    long start();

    long end();

    /**
     * {@code mmu_interval_read_begin}: waits while an invalidation of this interval is in
     * progress, then returns the sequence to pass to {@link #readRetry}. Must not be called from a
     * notifier callback.
     */
    long readBegin();

    /**
     * {@link #readBegin()} for a device engine: waits at most {@code timeout} for an invalidation of
     * this interval to end (one whose callback is stuck never ends).
     *
     * @throws MmBusyException if one is still in progress after {@code timeout}, or the thread was
     *         interrupted while waiting (the interrupt status is kept)
     */
    long readBegin(long timeout, TimeUnit unit);

    /**
     * {@code mmu_interval_read_retry}: true if an invalidation has hit the interval since
     * {@link #readBegin} returned {@code seq}, so what was read must not be installed. Reliable
     * only under the driver's update lock.
     */
    boolean readRetry(long seq);

    /** {@code mmu_interval_check_retry}: a lockless early-out hint; false is not reliable. */
    boolean checkRetry(long seq);

    /**
     * {@code mmu_interval_set_seq}: called unconditionally by the invalidate callback, under the
     * driver's update lock, with the {@code curSeq} it was given.
     */
    void setSeq(long curSeq);

    /**
     * {@code mmu_interval_notifier_remove}: once this returns the callback is not running and will
     * not be called. Waits for an invalidation in progress; must not be called from a notifier
     * callback. Removing twice is an error.
     */
    void remove();
}
