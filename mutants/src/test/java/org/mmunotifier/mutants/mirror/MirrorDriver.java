package org.mmunotifier.mutants.mirror;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.testkit.DemoLayout;

/**
 * The minimal mirror's driver: told of every process, it gives each a {@link MiniMirror} of the
 * demo's region 0 and closes it when the process exits or the driver is deactivated. Its device
 * engine is {@link #step}, run by the kit as a device loop.
 */
final class MirrorDriver implements ProcessListener {
    static final long BASE = DemoLayout.region(0);

    private final CoherenceOracle oracle;
    private final MiniMirror.Bug bug;
    private final Map<Integer, MiniMirror> mirrors = new ConcurrentHashMap<>();
    private final LongAdder accesses = new LongAdder();

    MirrorDriver(CoherenceOracle oracle, MiniMirror.Bug bug) {
        this.oracle = oracle;
        this.bug = bug;
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        try {
            mirrors.put(pid, new MiniMirror(mm, BASE, DemoLayout.REGION_PAGES, oracle, this, bug));
        } catch (MmDeadException e) {
            // it exited before we got to it
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        MiniMirror m = mirrors.remove(pid);
        if (m != null) {
            m.close();
        }
    }

    /** One access by the device: a random read or write of a random page of a random mirrored process. */
    void step(SplittableRandom random) {
        List<MiniMirror> live = List.copyOf(mirrors.values());
        if (live.isEmpty()) {
            Thread.onSpinWait();
            return;
        }
        MiniMirror m = live.get(random.nextInt(live.size()));
        long address = BASE + random.nextInt(DemoLayout.REGION_PAGES) * Addresses.PAGE_SIZE;
        if (m.access(address, random.nextBoolean(), random.nextLong())) {
            accesses.increment();
        }
    }

    long accesses() {
        return accesses.sum();
    }

    /** The bundle stops: every mirror is closed (unless the planted bug forgets). */
    void deactivate() {
        if (bug != MiniMirror.Bug.LEAK_ON_STOP) {
            mirrors.values().forEach(MiniMirror::close);
        }
        mirrors.clear();
    }
}
