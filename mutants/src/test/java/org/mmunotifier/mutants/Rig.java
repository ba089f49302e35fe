package org.mmunotifier.mutants;

import java.util.Arrays;
import java.util.List;
import org.mmunotifier.testkit.DeviceLoop;
import org.mmunotifier.testkit.TestMachine;

/**
 * One driver on the kit's machine, as its bundle would run there: made with one of its planted
 * bugs switched on (or none), told of every process, its device engines running. Each driver's
 * rig lives in the driver's own package, where its knobs are.
 */
public interface Rig {
    /** The name of the knob that plants no bug. */
    String NONE = "NONE";

    /**
     * Makes the driver with {@code bug} planted (the name of one of its knob's constants,
     * {@link #NONE} for the correct driver), attaches it to {@code machine} and starts its engines.
     *
     * @return the device loops the kit must run beside the workload (none if the driver's own
     *         engines do the device's work)
     */
    List<DeviceLoop> start(TestMachine machine, String bug);

    /** The driver's deactivation, as SCR would call it when its bundle stops. */
    void stop();

    /** Device accesses made so far (a correct run must have made many). */
    long accesses();

    /** Every bug the driver's knob can plant, {@link #NONE} excluded. */
    List<String> knobs();

    /** The names of a knob's constants but {@link #NONE}. */
    static List<String> knobs(Enum<?>[] constants) {
        return Arrays.stream(constants).map(Enum::name).filter(n -> !n.equals(NONE)).toList();
    }
}
