package org.mmunotifier.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;

/**
 * Stands between the machine's whiteboard and a driver's attach listener: forwards every spawn
 * and exit (letting what the driver throws through) and records, by pid, how many contexts the
 * driver has on the process right after each call.
 */
public final class AttachRecorder implements ProcessListener {
    private final ProcessListener driver;
    private final Function<MmStruct, ? extends Collection<?>> contextsOn;
    private final Map<Integer, Integer> attached = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> detached = new ConcurrentHashMap<>();

    /**
     * @param driver the driver's listener
     * @param contextsOn the driver's contexts (VMs, memory regions, …) on an mm
     */
    public AttachRecorder(ProcessListener driver, Function<MmStruct, ? extends Collection<?>> contextsOn) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.contextsOn = Objects.requireNonNull(contextsOn, "contextsOn");
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        driver.spawned(pid, mm);
        attached.put(pid, contextsOn.apply(mm).size());
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        driver.exiting(pid, mm);
        detached.put(pid, contextsOn.apply(mm).size());
    }

    /** By pid, the contexts the driver had on the process right after it was told of the spawn. */
    public Map<Integer, Integer> attached() {
        return Map.copyOf(attached);
    }

    /** By pid, the contexts the driver had on the process right after it was told of the exit. */
    public Map<Integer, Integer> detached() {
        return Map.copyOf(detached);
    }

    /**
     * At least {@code atLeast} processes were spawned, each had exactly one context once spawned,
     * every one of them exited, and none had a context left after.
     */
    public void assertOneContextPerProcessWhileItLived(int atLeast) {
        Map<Integer, Integer> spawned = attached();
        Map<Integer, Integer> exited = detached();
        assertTrue(spawned.size() >= atLeast && spawned.values().stream().allMatch(n -> n == 1), spawned.toString());
        assertEquals(spawned.keySet(), exited.keySet());
        assertTrue(exited.values().stream().allMatch(n -> n == 0), exited.toString());
    }
}
