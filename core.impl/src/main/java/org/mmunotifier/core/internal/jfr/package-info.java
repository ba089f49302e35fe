/**
 * The core's JDK Flight Recorder events, and recordings of them. The rest of the core touches
 * them only through {@link org.mmunotifier.core.internal.jfr.Trace}, which works without
 * {@code jdk.jfr} (imported optionally). Private.
 */
package org.mmunotifier.core.internal.jfr;
