package com.example.mirror;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.mmunotifier.api.CoherenceOracle;
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
 * process exits or the bundle stops. Activated by DS, it also runs one device engine: a thread
 * that reads and writes random pages of random mirrored processes, as a device would, until the
 * bundle stops. Tests make it with {@link #MirrorDriver(CoherenceOracle)} and drive the accesses
 * themselves.
 */
@Component(service = {ProcessListener.class, MirrorDriver.class})
public final class MirrorDriver implements ProcessListener {
    static final long BASE = 0x4000_0000L;
    static final int PAGES = 32;

    private final CoherenceOracle oracle;
    private final Map<Integer, Mirror> mirrors = new ConcurrentHashMap<>();
    private volatile boolean skipRetry;
    private volatile Thread engine;

    /** Without a device engine: the caller makes the accesses ({@link #access}). */
    public MirrorDriver(CoherenceOracle oracle) {
        this.oracle = oracle;
    }

    /** Under DS: with its device engine. */
    @Activate
    public MirrorDriver(@Reference CoherenceOracle oracle, Map<String, Object> properties) {
        this(oracle);
        Thread t = new Thread(this::runEngine, "mirror-engine");
        t.setDaemon(true);
        engine = t;
        t.start();
    }

    /** The device engine's loop: one access every ~20 µs (a transfer takes a while), until interrupted. */
    private void runEngine() {
        SplittableRandom random = new SplittableRandom();
        while (!Thread.currentThread().isInterrupted()) {
            List<Integer> pids = pids();
            if (!pids.isEmpty()) {
                int pid = pids.get(random.nextInt(pids.size()));
                access(pid, BASE + random.nextInt(PAGES) * 4096L, random.nextBoolean(), random.nextLong());
            }
            LockSupport.parkNanos(20_000);
        }
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        try {
            Mirror m = new Mirror(mm, BASE, PAGES, oracle);
            m.skipRetry = skipRetry;
            mirrors.put(pid, m);
        } catch (MmDeadException e) {
            // it exited before we got to it
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
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
    void deactivate() throws InterruptedException {
        Thread t = engine;
        if (t != null) {
            t.interrupt();
            t.join(5_000); // no access after the mirrors close (they would refuse it anyway)
        }
        mirrors.values().forEach(Mirror::close);
        mirrors.clear();
    }
}
