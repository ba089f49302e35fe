package org.mmunotifier.bench;

import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.notifier.InvalidationRange;
import org.mmunotifier.core.internal.notifier.MmNotifierSubscriptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A range invalidation that hits 10 interval subscriptions out of 1 000 or 100 000 registered
 * (one page each, disjoint). The cost must grow no faster than log n.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IntervalLookupBench {
    @Param({"1000", "100000"})
    public int registered;

    private Machine machine;
    private MmNotifierSubscriptions subs;
    private InvalidationRange range;
    private long hits;

    @Setup
    public void setup() {
        machine = new Machine(16, PageLayout.BITS_64);
        AddressSpace mm = machine.spawn().mm();
        subs = mm.notifiers();
        long p = Addresses.PAGE_SIZE;
        for (int i = 0; i < registered; i++) {
            long start = (2L * i + 1) * p; // a page, then a gap
            mm.insertInterval(start, start + p, (sub, r, seq) -> {
                sub.setSeq(seq);
                hits++;
                return true;
            });
        }
        long middle = (long) registered / 2 * 2 * p;
        range = new InvalidationRange(mm, middle, middle + 20 * p, MmuNotifierEvent.CLEAR); // 10 intervals
    }

    @TearDown
    public void tearDown() {
        machine.close();
    }

    @Benchmark
    public long invalidate() {
        subs.invalidateRangeStart(range);
        subs.invalidateRangeEnd(range);
        return hits;
    }
}
