package org.mmunotifier.api;

import org.mmunotifier.api.page.Page;
import org.osgi.annotation.versioning.ProviderType;

/** The machine's page frames, for drivers that work on pages rather than addresses (rmap users). */
@ProviderType
public interface PageFrames {

    /**
     * The frame numbered {@code pfn}.
     *
     * @throws IllegalArgumentException if the machine has no such frame
     */
    Page page(long pfn);

    /** How many frames the machine has. */
    int frameCount();
}
