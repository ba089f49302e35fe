package org.mmunotifier.api.page;

import org.osgi.annotation.versioning.ProviderType;

/** A physical page frame ({@code struct page}) of the simulated machine. */
@ProviderType
public interface Page {

    /** The page frame number. */
    long pfn();

    /** The page's atomic flag word. */
    PageFlags flags();

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
