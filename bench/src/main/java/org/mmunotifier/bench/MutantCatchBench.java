package org.mmunotifier.bench;

import java.util.concurrent.TimeUnit;
import org.mmunotifier.mutants.Hunt;
import org.mmunotifier.mutants.Mutant;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to catch each planted bug of the catalogue (the {@code mutants} module): one hunt per
 * invocation, from the start of the workload (the machine made and the driver attached
 * beforehand, outside the measurement) until the kit reports the problem and the run has wound
 * down (the workload stopped within a millisecond of the report, its processes exited), or, for
 * a bug only a stop shows, until the stop's checks found it (runs on fresh machines one after the
 * other until one does). Each invocation is a new interleaving of the same seeded run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 10)
public class MutantCatchBench {
    /** Every mutant of the catalogue (an enum parameter: all its constants unless {@code -p mutant=…}). */
    @Param
    public Mutant mutant;

    private Hunt hunt;

    @Setup(Level.Invocation)
    public void makeTheMachine() {
        hunt = Hunt.of(mutant);
    }

    @TearDown(Level.Invocation)
    public void closeIt() {
        hunt.close();
    }

    @Benchmark
    public long timeToCatch() {
        Hunt.Outcome o = hunt.hunt();
        if (!o.caught()) {
            throw new IllegalStateException(mutant + " was not caught within " + Hunt.BOUND + ": " + o.run());
        }
        return o.nanos();
    }
}
