package com.example.mirror;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * process exits or the bundle stops.
 */
@Component(service = {ProcessListener.class, MirrorDriver.class})
public final class MirrorDriver implements ProcessListener {
    static final long BASE = 0x4000_0000L;
    static final int PAGES = 32;

    private final CoherenceOracle oracle;
    private final Map<Integer, Mirror> mirrors = new ConcurrentHashMap<>();
    private volatile boolean skipRetry;

    @Activate
    public MirrorDriver(@Reference CoherenceOracle oracle) {
        this.oracle = oracle;
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
    void deactivate() {
        mirrors.values().forEach(Mirror::close);
        mirrors.clear();
    }
}
