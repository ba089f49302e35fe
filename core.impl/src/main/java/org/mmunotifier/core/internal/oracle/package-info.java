/**
 * The coherence oracle: the product's verdict on every device access ({@link
 * org.mmunotifier.core.internal.oracle.Oracle}, its rules and reports), and what it remembers to
 * explain a violation (who heard of each invalidation, which device fault made a translation).
 * It reads the memory manager only through {@link org.mmunotifier.core.internal.oracle.PrimaryMmu}
 * and {@link org.mmunotifier.core.internal.oracle.FrameStore}.
 */
package org.mmunotifier.core.internal.oracle;
