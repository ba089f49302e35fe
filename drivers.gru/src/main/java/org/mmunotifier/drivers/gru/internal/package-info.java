/** The GRU driver's components. Private: the bundle exports nothing. */
package org.mmunotifier.drivers.gru.internal;
