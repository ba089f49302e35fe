/** The simulated memory manager: address spaces and their lifetimes. Private. */
package org.mmunotifier.core.internal.mm;
