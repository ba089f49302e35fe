package org.mmunotifier.api.page;

import org.osgi.annotation.versioning.ProviderType;

/** A physical page frame ({@code struct page}) of the simulated machine. */
@ProviderType
public interface Page {

    /** The page frame number. */
    long pfn();

    /** The page's atomic flag word. */
    PageFlags flags();

    /** {@code page_count()}: mappings plus transient references; 0 when the frame is free. */
    int refCount();

    /** {@code page_mapcount()}: how many ptes map the frame. */
    int mapCount();

    /** Bumped every time the frame is freed: a (pfn, generation) pair names one life of a frame. */
    long generation();

    /** {@code PageExternalRmap()}: always false on the 32-bit layout. */
    default boolean isExternalRmap() {
        return flags().test(PageFlag.EXTERNAL_RMAP);
    }

    /** {@code SetPageExternalRmap()}: throws {@link UnsupportedPageFlagException} on the 32-bit layout. */
    default void setExternalRmap() {
        flags().set(PageFlag.EXTERNAL_RMAP);
    }

    /** {@code ClearPageExternalRmap()}: throws {@link UnsupportedPageFlagException} on the 32-bit layout. */
    default void clearExternalRmap() {
        flags().clear(PageFlag.EXTERNAL_RMAP);
    }
}
