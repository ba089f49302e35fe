package org.mmunotifier.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A secondary MMU's callbacks for one address space ({@code struct mmu_notifier_ops}). Every
 * method has a default that does nothing, so a driver implements only what it mirrors.
 *
 * <p>Which callbacks the primary MMU calls, and from where, depends on the registration's
 * {@linkplain #contract() contract} (the seed's, 2.6.27's or today's): each callback below says in
 * which contracts it is called and by which primary operations. The README's driver guide has the
 * whole table.
 *
 * <p>Callbacks run on the thread of the primary-MMU operation, inside a read-side section of the
 * core: they must not wait for that operation to finish. After
 * {@link MmStruct#unregister(MmuNotifier)} returns, no callback is running and none will start.
 * A callback that throws (whatever it throws) is recorded as a fault of its bundle; the other
 * notifiers are still called and the primary operation completes.
 */
@ConsumerType
public interface MmuNotifier {

    /**
     * The kernel contract this notifier is written against, or null (the default) for the one its
     * bundle requires in the {@value MmuNotifierContract#NAMESPACE} namespace, else
     * {@link MmuNotifierContract#V6}. Read once, when the notifier is registered.
     */
    default MmuNotifierContract contract() {
        return null;
    }

    /**
     * {@code mmu_notifier_ops.release}: the mm is going away ({@code exit_mmap}) or this notifier
     * is being unregistered, whichever comes first. All contracts. Called exactly once per
     * registration, while the notifier is still linked, before any page of the mm is freed. The
     * driver must drop every secondary mapping and establish no more. It may call
     * {@link MmStruct#unregister(MmuNotifier)} or {@link MmStruct#put(MmuNotifier)} from here.
     */
    default void release(MmStruct mm) {
    }

    /**
     * The seed's {@code age_page}, later {@code clear_flush_young}: test and clear the accessed bit
     * of the secondary mapping of {@code address}, flushing the secondary TLB. All contracts:
     * called by reclaim for every pte mapping a page it considers ({@code page_referenced_one});
     * in the seed and 2.6.27 also once more for each pte it is about to clear
     * ({@code try_to_unmap_one}), where young keeps the page.
     *
     * @return whether the secondary MMU had accessed the page since the last call
     */
    default boolean agePage(MmStruct mm, long address) {
        return false;
    }

    /**
     * {@code invalidate_page}: the primary MMU has removed (or write-protected) the pte of the page
     * at {@code address}; the page is not freed until this returns. Contracts
     * {@link MmuNotifierContract#SEED seed} and {@link MmuNotifierContract#V2_6_27 2.6.27} only
     * (removed in 4.13): called by the single-page operations — reclaim's reverse-map unmap
     * ({@code try_to_unmap_one}), migration, and in 2.6.27 the copy-on-write break
     * ({@code do_wp_page}) — after the pte changed, with the page-table lock dropped.
     */
    default void invalidatePage(MmStruct mm, long address) {
    }

    /**
     * The seed's {@code invalidate_range(start, end, lock)}: the primary changed the ptes of
     * {@code [start, end)} (munmap, madvise, mprotect, mremap, fork's write-protect, the OOM
     * reaper, the copy-on-write break of one page, …) and has not freed their pages yet. Contract
     * {@link MmuNotifierContract#SEED seed} only; one call per range, after the pte changes, with
     * the page-table lock dropped.
     *
     * @param atomic the seed's {@code lock}: the caller cannot sleep (true for the OOM reaper's
     *        non-blockable unmap), so neither may the callback
     */
    default void invalidateRange(MmStruct mm, long start, long end, boolean atomic) {
    }

    /**
     * {@code invalidate_range_start}: mappings in {@code range} are about to change. From now until
     * the matching {@link #invalidateRangeEnd}, the driver must drop its mappings in the range and
     * establish no new ones there. Contract {@link MmuNotifierContract#V6 6.x}: around every pte
     * change (with its {@linkplain MmuNotifierRange#event() event}); contract
     * {@link MmuNotifierContract#V2_6_27 2.6.27}: around munmap, madvise, mprotect, mremap and
     * fork's write-protect, not the single-page operations. Called before the ptes change, with
     * no page-table lock held.
     *
     * @return true, or false to refuse a non-{@linkplain MmuNotifierRange#isBlockable() blockable}
     *         invalidation that would have to block; a refused start gets no end, and the
     *         primary leaves its page tables alone
     */
    default boolean invalidateRangeStart(MmuNotifierRange range) {
        return true;
    }

    /**
     * {@code invalidate_range_end}: the primary has finished changing the range (its pages are
     * freed after this returns); mappings may be established again. Sent to exactly the notifiers
     * whose start was called and accepted.
     */
    default void invalidateRangeEnd(MmuNotifierRange range) {
    }

    /**
     * {@code arch_invalidate_secondary_tlbs} (called {@code invalidate_range} from 4.13 to 6.5):
     * for a secondary TLB that walks the CPU's page tables (an IOMMU in SVA mode): the ptes of
     * {@code [start, end)} were just cleared or write-protected; drop any cached translation of
     * them. Contract {@link MmuNotifierContract#V6 6.x} only, for every pte change, between start
     * and end, <em>with the page-table lock held</em>: it must not block, and must not take a lock
     * the device holds while it faults pages in. Before the pages are freed.
     */
    default void archInvalidateSecondaryTlbs(MmStruct mm, long start, long end) {
    }

    /**
     * {@code clear_young}: clear the accessed bits in {@code [start, end)} without a flush.
     * Contract {@link MmuNotifierContract#V6 6.x} only: called by idle-page tracking and the
     * multi-gen LRU's scan ({@code MachineControl}'s young-bit scan in this model).
     */
    default boolean clearYoung(MmStruct mm, long start, long end) {
        return false;
    }

    /**
     * {@code test_young}: whether the secondary MMU accessed the page at {@code address}, without
     * clearing it. Contract {@link MmuNotifierContract#V6 6.x} only: called by khugepaged's scan
     * (the young-bit scan in this model).
     */
    default boolean testYoung(MmStruct mm, long address) {
        return false;
    }
}
