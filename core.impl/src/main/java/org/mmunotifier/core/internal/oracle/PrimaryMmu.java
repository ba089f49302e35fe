package org.mmunotifier.core.internal.oracle;

import java.util.List;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.core.internal.notifier.Identity;

/**
 * What the coherence oracle reads of one address space: its ptes as they are now, when each last
 * changed, the invalidations in progress and the record of the finished ones and of the device
 * faults. The memory manager's address space implements it; the oracle depends on nothing else of
 * the memory manager.
 */
public interface PrimaryMmu extends MmStruct {
    /** {@link #mapping}: the pte maps the frame, for this access. */
    int MAPPED = 0;
    /** {@link #mapping}: the pte maps the frame, readable only, and the access writes. */
    int READ_ONLY = 1;
    /** {@link #mapping}: the pte maps the frame but allows no access ({@code PROT_NONE}). */
    int NO_ACCESS = 2;
    /** {@link #mapping}: the pte does not map the frame (not present, or another frame). */
    int NOT_MAPPED = 3;

    /** Lock-free: how the pte of {@code address} maps frame {@code pfn} for a read or a write. */
    int mapping(long address, long pfn, boolean write);

    /** The pte of {@code address}, in words, for a report. */
    String describePte(long address);

    /** Lock-free: the tick of the last invalidation that changed the pte of {@code address}, or 0. */
    long stampOf(long address);

    /** The tick of the last invalidation begun. */
    long sequence();

    /** The invalidations in progress over {@code address}. */
    List<InFlight> inFlightCovering(long address);

    /** The invalidation in progress with {@code tick}, or null. */
    InFlight inFlight(long tick);

    /** Who heard of the mm's recent finished invalidations. */
    InvalidationHistory history();

    /** The mm's recent device faults. */
    DeviceFaults deviceFaults();

    /** The registration of {@code notifier} on this mm. */
    Identity identityOf(MmuNotifier notifier);
}
