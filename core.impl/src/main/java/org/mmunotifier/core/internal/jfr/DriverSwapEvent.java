package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/** A driver bundle stopped and started again, or updated (mmu:swap, the hotswap scenario). */
@Name(Trace.DRIVER_SWAP)
@Label("Driver Swap")
@Category({"mmu-notifier", "OSGi"})
@Description("A driver bundle restarted or updated; the duration is the whole swap")
final class DriverSwapEvent extends Event {
    @Label("Bundle")
    String bundle;

    @Label("How")
    @Description("restart, or update")
    String how;

    @Label("Teardown")
    @Description("Stop request until stopped: deactivation, grace periods, forced cleanup")
    @Timespan(Timespan.MICROSECONDS)
    long teardown;

    @Label("Start")
    @Timespan(Timespan.MICROSECONDS)
    long start;

    @Label("Left Behind")
    @Description("Registrations the core had to take back from it")
    int leftBehind;

    @Label("Failure")
    @Description("Why the swap failed and was rolled back; empty if it did not")
    String failure;
}
