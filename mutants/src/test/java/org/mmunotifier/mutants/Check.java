package org.mmunotifier.mutants;

import java.util.function.Consumer;
import org.mmunotifier.testkit.TestMachine;

/**
 * The kit's assertions a planted bug can fail, and when each can first fail: while the workload
 * runs (the oracle's rules, faults, stalls), or once the driver has stopped.
 */
public enum Check {
    /** {@link TestMachine#assertCoherent()}: the oracle's rules (AFTER_RELEASE … WRITE_PROTECTED). */
    COHERENT(true, TestMachine::assertCoherent),
    /** {@link TestMachine#assertNoFault()}: a callback threw, or refused a blockable invalidation. */
    NO_FAULT(true, TestMachine::assertNoFault),
    /** {@link TestMachine#assertNoStall()}. */
    NO_STALL(true, TestMachine::assertNoStall),
    /** {@link TestMachine#assertNoForcedCleanup()}: the stopped driver left registrations behind. */
    NO_FORCED_CLEANUP(false, TestMachine::assertNoForcedCleanup),
    /** {@link TestMachine#assertNoCallAfterStop()}: a call (a pending {@code freeNotifier}) came after the stop. */
    NO_CALL_AFTER_STOP(false, TestMachine::assertNoCallAfterStop),
    /** {@link TestMachine#assertNoFrameLeaked()}: exits every process, then no frame may be in use. */
    NO_FRAME_LEAK(false, TestMachine::assertNoFrameLeaked);

    /** Whether it can fail while the workload runs (else only after the driver stopped). */
    public final boolean whileRunning;
    private final Consumer<TestMachine> assertion;

    Check(boolean whileRunning, Consumer<TestMachine> assertion) {
        this.whileRunning = whileRunning;
        this.assertion = assertion;
    }

    /** The kit's failure, or null if the assertion holds. */
    String failure(TestMachine machine) {
        try {
            assertion.accept(machine);
            return null;
        } catch (AssertionError e) {
            return e.getMessage();
        }
    }
}
