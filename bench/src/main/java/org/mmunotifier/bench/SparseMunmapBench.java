package org.mmunotifier.bench;

import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Vma;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * munmap of a range with 1 000 pages mapped: 4 MiB (pages adjacent) against 1 TiB (pages spread
 * over the whole range). The page table's cost must follow what is mapped, not the range.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SparseMunmapBench {
    private static final int PAGES = 1_000;
    private static final long BASE = 1L << 41;

    @Param({"4MiB", "1TiB"})
    public String span;

    private Machine machine;
    private AddressSpace mm;
    private long length;

    @Setup(Level.Trial)
    public void trial() {
        machine = new Machine(PAGES + 16, PageLayout.BITS_64);
        mm = machine.spawn().mm();
        length = "1TiB".equals(span) ? 1L << 40 : 4L << 20;
    }

    /** Maps the range and faults 1 000 pages in, evenly spread (outside the measured time). */
    @Setup(Level.Invocation)
    public void populate() {
        mm.mmap(BASE, length, Vma.PROT_READ | Vma.PROT_WRITE, false);
        long stride = length / PAGES / Addresses.PAGE_SIZE * Addresses.PAGE_SIZE;
        for (int i = 0; i < PAGES; i++) {
            mm.touch(BASE + i * stride, true);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        machine.close();
    }

    @Benchmark
    public long munmap() {
        mm.munmap(BASE, length);
        return mm.rss();
    }
}
