package org.mmunotifier.bench;

import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.notifier.InvalidationRange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * register + unregister of a notifier, the grace period included: with no readers, and with a
 * thread dispatching range invalidations on the same mm all the time.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class UnregisterBench {
    private Machine machine;
    private AddressSpace mm;
    private InvalidationRange range;

    @Setup
    public void setup() {
        machine = new Machine(16, PageLayout.BITS_64);
        mm = machine.spawn().mm();
        mm.register(new NopNotifier()); // so the reader really enters sections
        range = new InvalidationRange(mm, 0, Addresses.PAGE_SIZE, MmuNotifierEvent.UNMAP);
    }

    @TearDown
    public void tearDown() {
        machine.close();
    }

    private NopNotifier cycle() {
        NopNotifier n = new NopNotifier();
        mm.register(n);
        mm.unregister(n);
        return n;
    }

    @Benchmark
    @Group("noReaders")
    @GroupThreads(1)
    public NopNotifier registerUnregister() {
        return cycle();
    }

    @Benchmark
    @Group("withReader")
    @GroupThreads(1)
    public NopNotifier registerUnregisterWhileReading() {
        return cycle();
    }

    /** The other thread of the group: the primary MMU invalidating (under mmap_lock, as it must). */
    @Benchmark
    @Group("withReader")
    @GroupThreads(1)
    public boolean reader() {
        mm.mmapLock().readLock().lock();
        try {
            boolean ok = mm.notifiers().invalidateRangeStart(range);
            mm.notifiers().invalidateRangeEnd(range);
            return ok;
        } finally {
            mm.mmapLock().readLock().unlock();
        }
    }
}
