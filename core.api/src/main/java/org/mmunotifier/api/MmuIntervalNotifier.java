package org.mmunotifier.api;

import org.osgi.annotation.versioning.ConsumerType;

/** The callback of an interval subscription ({@code struct mmu_interval_notifier_ops}). */
@ConsumerType
public interface MmuIntervalNotifier {

    /**
     * {@code range} intersects the subscription's interval and its mappings are about to go.
     * The driver must, under the lock it uses around {@link MmuIntervalSubscription#readRetry},
     * call {@link MmuIntervalSubscription#setSeq(long) setSeq(curSeq)} and then remove its
     * mappings in the range before returning.
     *
     * @param curSeq the odd sequence of this invalidation
     * @return true, or false only when the range is not blockable and the driver would block
     */
    boolean invalidate(MmuIntervalSubscription subscription, MmuNotifierRange range, long curSeq);
}
