package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Label;

/** One notifier's callback: which registration, and how it ended. */
abstract class NotifierCallEvent extends DriverEvent {
    @Label("Registration")
    long registration;

    @Label("Result")
    String result;
}
