/**
 * The page-flag model: physical pages, their atomic flag word and the two flag layouts
 * (64-bit and 32-bit) of the simulated machine.
 */
@Export
@Version("1.0.0")
package org.mmunotifier.api.page;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
