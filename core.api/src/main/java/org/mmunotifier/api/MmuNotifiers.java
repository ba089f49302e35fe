package org.mmunotifier.api;

import org.mmunotifier.api.page.PageLayout;
import org.osgi.annotation.versioning.ProviderType;

/** What the notifier core offers beyond one mm: the global rmap notifiers and grace periods. */
@ProviderType
public interface MmuNotifiers {

    /** The page-flag layout of the simulated machine. */
    PageLayout pageLayout();

    /** {@code CONFIG_MMU_NOTIFIER}: false when notifiers are compiled out and registration fails. */
    boolean isCompiledIn();

    /**
     * {@code mmu_rmap_notifier_register}: adds {@code notifier} to the global rmap list.
     *
     * @throws UnsupportedOperationException on the 32-bit page layout, where there is no
     *         {@code PG_external_rmap}
     * @throws AlreadyRegisteredException if it is registered already
     */
    void registerRmap(MmuRmapNotifier notifier);

    /**
     * {@code mmu_rmap_notifier_unregister}: removes {@code notifier} and waits until no call to it
     * is running on another thread.
     *
     * @throws NotRegisteredException if it is not registered
     */
    void unregisterRmap(MmuRmapNotifier notifier);

    /**
     * {@code mmu_notifier_synchronize}: waits for a grace period and for every
     * {@link MmuNotifierOps#freeNotifier} scheduled before the call. A driver calls it before it
     * goes away.
     */
    void synchronize();
}
