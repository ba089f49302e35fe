package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Event;
import jdk.jfr.Label;

/** Whose registration an event is about: its bundle and notifier, and the mm. */
abstract class DriverEvent extends Event {
    @Label("Bundle")
    String bundle;

    @Label("Bundle Id")
    long bundleId;

    @Label("Notifier")
    String notifier;

    @Label("mm")
    long mm;
}
