/** Small helpers shared by the core's packages. Private. */
package org.mmunotifier.core.internal.util;
