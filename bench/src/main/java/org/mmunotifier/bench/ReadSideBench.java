package org.mmunotifier.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.mmunotifier.core.internal.notifier.ReaderSlot;
import org.mmunotifier.core.internal.notifier.Srcu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The read-side section alone (enter + exit), on one thread and on two at once, against an
 * uncontended lock and a shared counter. Shared state: the two-thread runs show whether readers
 * contend.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ReadSideBench {
    private final Srcu srcu = new Srcu();
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong counter = new AtomicLong();

    @TearDown
    public void tearDown() {
        srcu.close();
    }

    private ReaderSlot srcuSection() {
        ReaderSlot s = srcu.enter();
        srcu.exit(s);
        return s;
    }

    private long lockSection() {
        lock.lock();
        lock.unlock();
        return 0;
    }

    private long counterSection() {
        counter.incrementAndGet();
        return counter.decrementAndGet();
    }

    @Benchmark
    @Threads(1)
    public ReaderSlot srcu1() {
        return srcuSection();
    }

    @Benchmark
    @Threads(2)
    public ReaderSlot srcu2() {
        return srcuSection();
    }

    @Benchmark
    @Threads(1)
    public long lock1() {
        return lockSection();
    }

    @Benchmark
    @Threads(2)
    public long lock2() {
        return lockSection();
    }

    @Benchmark
    @Threads(1)
    public long atomicCounter1() {
        return counterSection();
    }

    @Benchmark
    @Threads(2)
    public long atomicCounter2() {
        return counterSection();
    }
}
