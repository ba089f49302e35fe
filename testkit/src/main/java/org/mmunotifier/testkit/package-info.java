/**
 * The driver author's test kit: {@link org.mmunotifier.testkit.MmuTest} gives a JUnit 5 test a
 * fresh simulated machine ({@link org.mmunotifier.testkit.TestMachine}) to hand its driver, drive
 * the primary MMU with ({@link org.mmunotifier.testkit.TestProcess}, the seeded workload, the
 * adversary), and assert on ({@code assertClean()}: coherent, no fault, no stall, no forced
 * cleanup, no frame leaked). Add it as one test-scoped dependency,
 * {@code org.mmunotifier:testkit}; the driver itself builds against {@code core.api} alone.
 */
@Export
@Version("1.0.0")
package org.mmunotifier.testkit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
