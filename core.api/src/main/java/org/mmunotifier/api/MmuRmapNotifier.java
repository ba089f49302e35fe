package org.mmunotifier.api;

import org.mmunotifier.api.page.Page;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A subsystem with its own reverse map ({@code struct mmu_rmap_notifier}), registered globally
 * with {@link MmuNotifiers#registerRmap}. Reclaim calls it for pages marked
 * {@link Page#isExternalRmap() PageExternalRmap}. Only on the 64-bit page layout.
 */
@ConsumerType
public interface MmuRmapNotifier {

    /**
     * Remove every remote mapping of {@code page}. Called after the primary's ptes for it were
     * removed and before the page is freed; may block.
     */
    void invalidatePage(Page page);
}
