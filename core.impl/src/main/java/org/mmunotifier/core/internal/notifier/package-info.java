/** The notifier core: read-side sections, subscriptions, dispatch, interval notifiers. Private. */
package org.mmunotifier.core.internal.notifier;
