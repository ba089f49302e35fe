/**
 * The MMU-notifier API: what a secondary-MMU driver implements ({@link MmuNotifier},
 * {@link MmuRmapNotifier}, {@link MmuIntervalNotifier}, {@link MmuNotifierOps}) and what the
 * core gives it ({@link MmStruct}, {@link MmuNotifierRange}, {@link MmuIntervalSubscription},
 * {@link MmuNotifiers}). Modelled on {@code include/linux/mmu_notifier.h}.
 */
@Export
@Version("2.3.0")
package org.mmunotifier.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
