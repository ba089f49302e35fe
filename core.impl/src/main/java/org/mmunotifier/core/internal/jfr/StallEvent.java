package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/** The stall watchdog reported a stall, or saw one end (the RCU stall warning and its end). */
@Name(Trace.STALL)
@Label("Stall")
@Category({"mmu-notifier", "Watchdog"})
@Description("The stall watchdog reported a stuck callback or wait, or saw it end")
final class StallEvent extends DriverEvent {
    @Label("Stall")
    long stall;

    @Label("What")
    @Description("reported, or ended")
    String what;

    @Label("Kind")
    String kind;

    @Label("Operation")
    String operation;

    @Label("Stuck Thread")
    String stuckThread;

    @Label("Stuck For")
    @Timespan(Timespan.MILLISECONDS)
    long stuckFor;

    @Label("Outcome")
    String outcome;
}
