package org.mmunotifier.core.internal.shell;

import java.util.List;
import org.mmunotifier.api.runtime.Stall;

/** What the {@code mmu} commands return; {@link RecordFormatter} prints them. */
final class ShellRecords {
    private ShellRecords() {
    }

    /** One process: its mm, what is mapped and resident, and what is attached to it. */
    record ProcessInfo(int pid, long mm, int vmas, long mappedPages, long residentPages, int pageTables,
            int notifiers, int intervals) {
    }

    /** One VMA of a process. */
    record VmaInfo(String start, String end, String prot, String kind, long pages, long resident) {
    }

    /** The registrations of one bundle, and its recent faults and stalls. */
    record BundleRegistrations(long bundleId, String bundle, int registrations, List<Long> mms, long faults,
            long stalls) {
    }

    /**
     * One driver bundle's device: what the oracle checked of it, its violations, and the counters it
     * publishes (mappings, invalidations, zapped, retries, faults, accesses), if it does.
     */
    record DeviceInfo(long bundleId, String bundle, long accessesChecked, long violations, long registrations,
            String counters) {
    }

    /** One stall, on one line (mmu:stall prints its stack). */
    record StallInfo(long id, String kind, String bundle, String notifier, String operation, long mm, String thread,
            long ms, String state) {
        static StallInfo of(Stall s) {
            return new StallInfo(s.id(), s.kind().name().toLowerCase().replace('_', ' '), s.bundle(), s.notifier(),
                    s.operation(), s.mmId(), s.thread(), s.millis(), (s.ongoing() ? "ongoing" : "ended")
                    + (s.outcome().isEmpty() ? "" : "; " + s.outcome()));
        }
    }

    /** What a reclaim or migration did. */
    record Outcome(String what, long count) {
    }
}
