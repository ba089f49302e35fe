package org.mmunotifier.core.internal.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The ring of recent device faults a violation report looks its translation up in. */
class DeviceFaultsTest {
    private static final long A = 0x200000;

    /**
     * Faults are recorded after their lock is dropped, so the ring is not in sequence order: the
     * fault that made a translation is the one with the highest sequence at or before it, not the
     * last one recorded.
     */
    @Test
    void theEstablishingFaultIsTheHighestSequenceAtOrBeforeTheTranslationsNotTheLastRecorded() {
        DeviceFaults faults = new DeviceFaults();
        faults.record(A, A + 4096, 12, true); // B's snapshot at 12, recorded first
        faults.record(A, A + 4096, 10, false); // A's snapshot at 10, recorded after B's
        assertEquals(12, faults.establishing(A, 12).seq());
        assertEquals(10, faults.establishing(A, 11).seq());
        assertNull(faults.establishing(A, 9));
        assertNull(faults.establishing(A + 4096, 12), "another page");
    }

    @Test
    void aKeptStackNamesTheCallerAndStaysTheSameOnceSymbolised() {
        DeviceFaults faults = new DeviceFaults();
        recordFromHere(faults);
        DeviceFaults.Fault f = faults.establishing(A, 1);
        var before = f.stack();
        assertTrue(before.get(0).getMethodName().equals("recordFromHere"), before.toString());
        faults.symbolizeAll();
        assertEquals(before, f.stack());
    }

    private static void recordFromHere(DeviceFaults faults) {
        faults.record(A, A + 4096, 1, false);
    }
}
