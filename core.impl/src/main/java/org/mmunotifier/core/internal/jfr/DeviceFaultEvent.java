package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;

/**
 * A fault on behalf of a device: {@code hmm_range_fault} / GUP ({@code faultRange}). Off unless a
 * recording turns it on (mmunotifier.jfc): devices fault all the time.
 */
@Name(Trace.DEVICE_FAULT)
@Label("Device Fault")
@Category({"mmu-notifier", "Device"})
@Description("faultRange (hmm_range_fault / get_user_pages) on behalf of a device; the stack is the driver's")
@Enabled(false)
final class DeviceFaultEvent extends Event {
    @Label("mm")
    long mm;

    @Label("Start")
    @MemoryAddress
    long start;

    @Label("End")
    @MemoryAddress
    long end;

    @Label("Write")
    boolean write;

    @Label("Pages")
    long pages;

    @Label("Failure")
    @Description("Why the fault failed (a segmentation fault, an exited mm, …); empty if it did not")
    String failure;
}
