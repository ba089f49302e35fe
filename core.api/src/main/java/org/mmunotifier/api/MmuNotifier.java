package org.mmunotifier.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A secondary MMU's callbacks for one address space ({@code struct mmu_notifier_ops}). Every
 * method has a default that does nothing, so a driver implements only what it mirrors.
 *
 * <p>Callbacks run on the thread of the primary-MMU operation, inside a read-side section of the
 * core: they must not wait for that operation to finish. After
 * {@link MmStruct#unregister(MmuNotifier)} returns, no callback is running and none will start.
 * A callback that throws is reported with the notifier's identity; the other notifiers are still
 * called.
 */
@ConsumerType
public interface MmuNotifier {

    /**
     * The mm is going away (exit) or this notifier is being unregistered, whichever comes first:
     * called exactly once per registration, while the notifier is still linked, before any page
     * of the mm is freed. The driver must drop every secondary mapping and establish no more.
     * It may call {@link MmStruct#unregister(MmuNotifier)} from here.
     */
    default void release(MmStruct mm) {
    }

    /**
     * The seed's {@code age_page} ({@code clear_flush_young}): test and clear the accessed bit of
     * the secondary mapping of {@code address}, flushing the secondary TLB.
     *
     * @return whether the secondary MMU had accessed the page since the last call
     */
    default boolean agePage(MmStruct mm, long address) {
        return false;
    }

    /**
     * The seed's {@code invalidate_page}: the primary MMU has removed (or write-protected) the
     * mapping of the page at {@code address}. The page is not freed until this returns.
     */
    default void invalidatePage(MmStruct mm, long address) {
    }

    /**
     * The seed's {@code invalidate_range}: one call for {@code [start, end)} after the primary's
     * page tables were changed. {@code atomic} is the seed's {@code lock} argument: the caller
     * holds a spinlock and the callback must not block.
     */
    default void invalidateRange(MmStruct mm, long start, long end, boolean atomic) {
    }

    /**
     * Mappings in {@code range} are about to be removed. From now until the matching
     * {@link #invalidateRangeEnd}, the driver must drop its mappings in the range and establish no
     * new ones there.
     *
     * @return true, or false to refuse a non-{@linkplain MmuNotifierRange#isBlockable() blockable}
     *         invalidation that would have to block; a refused start gets no end, and the
     *         primary leaves its page tables alone
     */
    default boolean invalidateRangeStart(MmuNotifierRange range) {
        return true;
    }

    /** The primary has finished changing the range; mappings may be established again. */
    default void invalidateRangeEnd(MmuNotifierRange range) {
    }

    /** {@code clear_young}: clear the accessed bits in {@code [start, end)} without a flush. */
    default boolean clearYoung(MmStruct mm, long start, long end) {
        return false;
    }

    /** {@code test_young}: whether the secondary MMU accessed the page at {@code address}. */
    default boolean testYoung(MmStruct mm, long address) {
        return false;
    }
}
