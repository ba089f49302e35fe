/** The KVM driver's components. Private: the bundle exports nothing. */
package org.mmunotifier.drivers.kvm.internal;
