package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One notifier's {@code invalidate_range_start}, {@code invalidate_range_end} or interval
 * {@code invalidate}: {@code mmu_notifier_invalidate_range_start}/{@code _end} as one driver
 * heard it, the event's duration being its callback's. Off unless a recording turns it on
 * (mmunotifier.jfc): there is one per callback.
 */
@Name(Trace.INVALIDATE_RANGE)
@Label("Invalidate Range")
@Category({"mmu-notifier", "Notifier Calls"})
@Description("One notifier's invalidate_range_start, invalidate_range_end or interval invalidate callback;"
        + " the duration is the callback's")
@StackTrace(false)
@Enabled(false)
final class InvalidateRangeEvent extends NotifierCallEvent {
    @Label("Callback")
    String callback;

    @Label("Event")
    @Description("The MmuNotifierEvent: why the range goes")
    String event;

    @Label("Start")
    @MemoryAddress
    long start;

    @Label("End")
    @MemoryAddress
    long end;

    @Label("Blockable")
    boolean blockable;
}
