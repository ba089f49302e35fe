package com.example.mirror;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceEngines;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The driver: told of every process by the core's whiteboard, it gives each one a {@link Mirror}
 * of its first demo region ({@value #BASE} onwards, {@value #PAGES} pages), and drops it when the
 * process exits or the bundle stops. Activated by DS, it also runs one device engine
 * ({@link DeviceEngines}): a thread that takes each mirror's work in turn, reading and writing its
 * random pages as a device would, until the bundle stops; the engine count, not the number of
 * processes, sets the device's share of the CPU. Tests make it with
 * {@link #MirrorDriver(CoherenceOracle)} (no engine runs) and drive the accesses themselves.
 */
@Component(service = {ProcessListener.class, MirrorDriver.class})
public final class MirrorDriver implements ProcessListener {
    static final long BASE = 0x4000_0000L;
    static final int PAGES = 32;

    private final CoherenceOracle oracle;
    private final Map<Integer, Mirror> mirrors = new ConcurrentHashMap<>();
    private final Map<Integer, DeviceEngines.Context> work = new ConcurrentHashMap<>();
    private final DeviceEngines engines = new DeviceEngines("mirror-engine");
    private volatile boolean skipRetry;

    /** Without a device engine: the caller makes the accesses ({@link #access}). */
    public MirrorDriver(CoherenceOracle oracle) {
        this.oracle = oracle;
    }

    /** Under DS: with its device engine. */
    @Activate
    public MirrorDriver(@Reference CoherenceOracle oracle, Map<String, Object> properties) {
        this(oracle);
        engines.start(1);
    }

    /** One device access to a random page of {@code m} (a failed one fails quietly); its context ends when {@link #exiting} detaches it. */
    private static boolean step(Mirror m, Random random) {
        m.access(BASE + random.nextInt(PAGES) * 4096L, random.nextBoolean(), random.nextLong());
        return true;
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        try {
            Mirror m = new Mirror(mm, BASE, PAGES, oracle);
            m.skipRetry = skipRetry;
            mirrors.put(pid, m);
            work.put(pid, engines.attach("mirror-" + pid, pid, random -> step(m, random)));
        } catch (MmDeadException e) {
            // it exited before we got to it
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        DeviceEngines.Context c = work.remove(pid);
        if (c != null) {
            c.detach(); // no access of this mirror runs from here on
        }
        Mirror m = mirrors.remove(pid);
        if (m != null) {
            m.close();
        }
    }

    /** One device access to {@code address} of process {@code pid}; null if there is no mirror or the fault failed. */
    public Long access(int pid, long address, boolean write, long value) {
        Mirror m = mirrors.get(pid);
        return m == null ? null : m.access(address, write, value);
    }

    /** The processes mirrored now. */
    public List<Integer> pids() {
        return List.copyOf(mirrors.keySet());
    }

    /** Plants the missing-retry bug in the mirrors made from now on (for the tests). */
    void skipRetry(boolean on) {
        skipRetry = on;
    }

    @Deactivate
    void deactivate() {
        engines.stop(); // no access after the mirrors close (they would refuse it anyway)
        work.clear();
        mirrors.values().forEach(Mirror::close);
        mirrors.clear();
    }
}
