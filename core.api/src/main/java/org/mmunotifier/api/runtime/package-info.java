/**
 * What the runtime reports to operators and tests (which bundle holds which registration, what
 * the core had to take back from bundles that stopped without unregistering, the machine's
 * counters) and what they do to it (the workload, swapping a driver). Drivers need none of it.
 */
@Export
@Version("2.1.0")
package org.mmunotifier.api.runtime;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
