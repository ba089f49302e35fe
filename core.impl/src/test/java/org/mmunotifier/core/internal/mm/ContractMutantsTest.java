package org.mmunotifier.core.internal.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.notifier.Owner;
import org.mmunotifier.core.internal.testing.DeviceFleet;
import org.mmunotifier.core.internal.testing.RangeMirror;
import org.mmunotifier.core.internal.testing.SvaNotifier;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.core.internal.oracle.Oracle;

/**
 * Driver designs of each contract under the multi-threaded workload (forks, exits, OOM kills,
 * reclaim, migration, every kind of invalidation) with the adversary racing their faults and
 * stalling invalidations: done right, not one violation and every frame free after exit; each
 * classic bug, caught by the strict oracle within a bounded run, named by rule and by bundle.
 */
class ContractMutantsTest {
    private static final String BUNDLE = "com.example.mirror 1.0.0 [42]";
    private static final Duration CORRECT_RUN = Duration.ofSeconds(3);
    private static final Duration MUTANT_BUDGET = Duration.ofSeconds(3);

    private final Machine machine = new Machine(512, PageLayout.BITS_64);
    private final Owner owner = machine.notifierCore().newOwner(BUNDLE, 42);

    @AfterEach
    void close() {
        machine.close();
    }

    /** One driver design, as a fleet attaches it to a process. */
    enum Design {
        RANGE_MIRROR(p -> new RangeMirror("mirror-" + p.pid(), p.mm(), p.oracle(), RangeMirror.Bug.NONE)),
        SVA_6X(p -> new SvaNotifier("sva-" + p.pid(), p.mm(), p.oracle(), MmuNotifierContract.V6, false)),
        SVA_SEED(p -> new SvaNotifier("sva-" + p.pid(), p.mm(), p.oracle(), MmuNotifierContract.SEED, false)),
        /** (a) */
        SKIP_RETRY(p -> new RangeMirror("mirror-" + p.pid(), p.mm(), p.oracle(), RangeMirror.Bug.SKIP_RETRY)),
        /** (b) */
        ZAP_IN_END(p -> new RangeMirror("mirror-" + p.pid(), p.mm(), p.oracle(), RangeMirror.Bug.ZAP_IN_END)),
        /** (c) */
        NO_DMA_DRAIN(p -> new RangeMirror("mirror-" + p.pid(), p.mm(), p.oracle(), RangeMirror.Bug.NO_DMA_DRAIN)),
        /** (d) */
        KEEP_WRITABLE(p -> new RangeMirror("mirror-" + p.pid(), p.mm(), p.oracle(), RangeMirror.Bug.KEEP_WRITABLE)),
        /** (e) */
        SVA_6X_IGNORES_FLUSH(p -> new SvaNotifier("sva-" + p.pid(), p.mm(), p.oracle(), MmuNotifierContract.V6, true)),
        /** (f) */
        SVA_SEED_IGNORES_RANGE(p -> new SvaNotifier("sva-" + p.pid(), p.mm(), p.oracle(), MmuNotifierContract.SEED,
                true));

        final Function<Attach, DeviceFleet.Device> attach;

        Design(Function<Attach, DeviceFleet.Device> attach) {
            this.attach = attach;
        }
    }

    /** What a design's constructor needs. */
    record Attach(int pid, AddressSpace mm, Oracle oracle) {
    }

    private DeviceFleet fleet(Design design) {
        machine.notifierCore().setOwnerResolver(code -> owner); // every registration is the third party's
        return new DeviceFleet(machine, p -> design.attach.apply(new Attach(p.pid(), p.mm(), machine.oracle())));
    }

    private DeviceFleet.Result run(DeviceFleet fleet, Workload w, long seed, Duration budget, boolean stopAtViolation)
            throws InterruptedException {
        machine.adversary().configure(0.3, 0.25, seed);
        return fleet.run(w, 2, seed, budget, stopAtViolation);
    }

    @ParameterizedTest
    @EnumSource(names = {"RANGE_MIRROR", "SVA_6X", "SVA_SEED"})
    void aCorrectDriverHasNoViolationAndLeavesEveryFrameFree(Design design) throws Exception {
        DeviceFleet fleet = fleet(design);
        Workload w = new Workload(machine, new Workload.Config(17, 2, 3, 4), fleet);
        DeviceFleet.Result r = run(fleet, w, 17, CORRECT_RUN, false);

        assertEquals(List.of(), machine.oracle().violations(), design + " under the adversary");
        assertTrue(r.accesses() > 1_000, "the devices hardly ran: " + r);
        for (Workload.Op op : List.of(Workload.Op.FORK, Workload.Op.RECLAIM, Workload.Op.MIGRATE,
                Workload.Op.OOM_KILL, Workload.Op.EXCLUSIVE)) {
            assertTrue(r.workload().counts().get(op) > 0, op + " never ran: " + r);
        }
        assertTrue(machine.adversary().strikes() > 100, "the adversary hardly struck: " + machine.adversary().strikes());
        assertEquals(List.of(), machine.checkConsistency());
        w.close();
        assertEquals(0, machine.memory().usedCount(), "frames leaked after every process exited");
        for (DeviceFleet.Device d : fleet.devices()) {
            assertEquals(0, d.mapped(), d + " still maps pages after its process exited");
        }
        assertEquals(0, machine.oracle().violationCount());
    }

    /**
     * Each mutant and the callback its report must say it was told by. Which rule the first
     * violation breaks depends on timing (an access inside the window, or after it through a
     * translation from before it, or after the page went), so any but AFTER_RELEASE will do.
     */
    static Stream<Arguments> mutants() {
        return Stream.of(
                Arguments.of(Design.SKIP_RETRY, "invalidate_range_start"),
                Arguments.of(Design.ZAP_IN_END, "invalidate_range_start"),
                Arguments.of(Design.NO_DMA_DRAIN, "invalidate_range_start"),
                Arguments.of(Design.KEEP_WRITABLE, "invalidate_range_start"),
                Arguments.of(Design.SVA_6X_IGNORES_FLUSH, "arch_invalidate_secondary_tlbs"),
                Arguments.of(Design.SVA_SEED_IGNORES_RANGE, "invalidate_range "));
    }

    @ParameterizedTest
    @MethodSource("mutants")
    void aBuggyDriverIsCaughtInABoundedRunAndNamedByItsBundle(Design design, String toldBy) throws Exception {
        DeviceFleet fleet = fleet(design);
        Workload w = new Workload(machine, new Workload.Config(23, 2, 3, 4), fleet);
        DeviceFleet.Result r = run(fleet, w, 23, MUTANT_BUDGET, true);
        w.close();

        assertTrue(r.firstViolationMillis() >= 0, design + " was not caught in " + MUTANT_BUDGET + ": " + r);
        Violation v = machine.oracle().violations().get(0);
        assertNotEquals(Violation.Rule.AFTER_RELEASE, v.rule(), v.toString());
        assertTrue(v.reason().contains(toldBy), design + ": the report should say it was told by " + toldBy + ": " + v);
        assertEquals(BUNDLE, v.bundle(), v.toString());
        assertEquals(42, v.bundleId());
        System.out.printf("%s caught after %d ms: %s%n", design, r.firstViolationMillis(), v);
    }
}
