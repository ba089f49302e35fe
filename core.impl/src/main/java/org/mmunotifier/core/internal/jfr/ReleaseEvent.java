package org.mmunotifier.core.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** One notifier's {@code release} ({@code __mmu_notifier_release} from {@code exit_mmap}, or unregister). */
@Name(Trace.RELEASE)
@Label("Release")
@Category({"mmu-notifier", "Notifier Calls"})
@Description("One notifier's release callback: its mm exits, or it is unregistered; the duration is the callback's")
final class ReleaseEvent extends NotifierCallEvent {
}
