/**
 * What the runtime reports to operators and tests: which bundle holds which registration, what
 * the core had to take back from bundles that stopped without unregistering, and the machine's
 * counters. Drivers need none of it.
 */
@Export
@Version("2.0.0")
package org.mmunotifier.api.runtime;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
