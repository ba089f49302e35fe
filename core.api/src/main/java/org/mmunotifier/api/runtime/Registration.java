package org.mmunotifier.api.runtime;

/**
 * One live registration of a bundle.
 *
 * @param bundleId the bundle whose code the registration calls
 * @param bundle that bundle's symbolic name and version
 * @param mmId the mm it is on, or -1 for an rmap notifier
 * @param what the kind of registration and the notifier
 * @param contract the kernel contract its notifier gets ({@code seed}, {@code 2.6.27}, {@code 6.x})
 */
public record Registration(long bundleId, String bundle, long mmId, String what, String contract) {
}
