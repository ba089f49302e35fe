/** The RDMA driver's components. Private: the bundle exports nothing. */
package org.mmunotifier.drivers.rdma.internal;
