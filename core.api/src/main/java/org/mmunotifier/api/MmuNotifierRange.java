package org.mmunotifier.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The range of an invalidation ({@code struct mmu_notifier_range}): {@code [start, end)} of
 * {@link #mm()}, page aligned, with the reason and whether callbacks may block.
 */
@ProviderType
public interface MmuNotifierRange {

    MmStruct mm();

    /** First byte of the range, page aligned. */
    long start();

    /** One past the last byte of the range, page aligned, greater than {@link #start()}. */
    long end();

    MmuNotifierEvent event();

    /**
     * {@code mmu_notifier_range_blockable()}: false when the caller cannot sleep (the OOM reaper).
     * A notifier that would have to block must then refuse the invalidation.
     */
    boolean isBlockable();

    /** Who causes a {@link MmuNotifierEvent#MIGRATE} or {@link MmuNotifierEvent#EXCLUSIVE}; else null. */
    Object owner();

    /** Whether {@code address} lies in {@code [start, end)}. */
    default boolean contains(long address) {
        return address >= start() && address < end();
    }

    /** Whether {@code [start, end)} overlaps this range. */
    default boolean intersects(long start, long end) {
        return start < end() && end > start();
    }
}
