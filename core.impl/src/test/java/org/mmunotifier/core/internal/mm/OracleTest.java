package org.mmunotifier.core.internal.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.page.PageLayout;

/** The coherence oracle on its own: what is a violation and what is not. */
class OracleTest {
    static final long P = Addresses.PAGE_SIZE;
    static final long A = 0x20_0000L;
    static final int RW = Vma.PROT_READ | Vma.PROT_WRITE;

    private final Machine machine = new Machine(32, PageLayout.BITS_64);
    private final Oracle oracle = machine.oracle();
    private final Process proc = machine.spawn();
    private final AddressSpace mm = proc.mm();

    @AfterEach
    void close() {
        machine.close();
    }

    @Test
    void accessesThroughALiveMappingAreCoherentAndSeeTheData() {
        mm.mmap(A, P, RW, false);
        mm.write(A, 5);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        assertEquals(5, oracle.read("dev", mm, f));
        oracle.write("dev", mm, f, 6);
        assertEquals(6, mm.read(A), "a device write must be visible to the CPU");
        assertEquals(6, oracle.fetchAdd("dev", mm, f, 1));
        assertEquals(0, oracle.violationCount());
    }

    @Test
    void aFrameFreedSinceItWasMappedIsAViolationAndTheReadSeesPoison() {
        mm.mmap(A, P, RW, false);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        mm.munmap(A, P);
        assertEquals(Frame.POISON, oracle.read("gru0", mm, f));
        assertEquals(1, oracle.violationCount());
        Violation v = oracle.violations().get(0);
        assertEquals("gru0", v.device());
        assertEquals(A, v.address());
        assertEquals("read", v.op());
        assertTrue(v.reason().contains("freed since it was mapped"), v.reason());
    }

    @Test
    void aFrameThePrimaryMovedAwayIsAViolationEvenIfStillAllocated() {
        mm.mmap(A, P, RW, false);
        mm.mmap(A + P, P, RW, false);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        mm.mremap(A, P, A + 16 * P); // same frame, other address
        oracle.read("kvm0", mm, f);
        assertTrue(oracle.violations().get(0).reason().contains("no longer maps"), oracle.violations().toString());
    }

    @Test
    void writingThroughAMappingThePrimaryWriteProtectedIsAViolation() {
        mm.mmap(A, P, RW, false);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        machine.fork(proc); // COW: the parent's pte is now read-only
        oracle.read("rdma0", mm, f);
        assertEquals(0, oracle.violationCount(), "reading a COW-shared page is fine");
        oracle.write("rdma0", mm, f, 1);
        assertEquals(List.of("write"), oracle.violations().stream().map(Violation::op).toList());
        assertTrue(oracle.violations().get(0).reason().contains("write-protected"));
    }

    @Test
    void duringAnInvalidationTheOldMappingMayStillBeUsed() {
        mm.mmap(A, P, RW, false);
        MappedFrame f = mm.faultRange(A, A + P, true)[0];
        mm.register(new MmuNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                oracle.read("kvm0", mm, f); // the device finishes an access before it zaps
                return true;
            }
        });
        mm.munmap(A, P);
        assertEquals(0, oracle.violationCount());
    }
}
