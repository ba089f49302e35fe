package org.mmunotifier.core.internal.shell;

import java.util.List;

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

    /** The registrations of one bundle. */
    record BundleRegistrations(long bundleId, String bundle, int registrations, List<Long> mms) {
    }

    /** What a reclaim or migration did. */
    record Outcome(String what, long count) {
    }
}
