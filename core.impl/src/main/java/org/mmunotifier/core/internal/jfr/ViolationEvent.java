package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;

/** A device access the coherence oracle found the primary MMU would not allow; the stack is the access's. */
@Name(Trace.VIOLATION)
@Label("Coherence Violation")
@Category({"mmu-notifier", "Device"})
@Description("A device access the primary MMU would not allow (mmu:violation N shows the whole report)")
final class ViolationEvent extends DriverEvent {
    @Label("Number")
    long number;

    @Label("Rule")
    String rule;

    @Label("Address")
    @MemoryAddress
    long address;

    @Label("Access")
    String access;

    @Label("Summary")
    String summary;
}
