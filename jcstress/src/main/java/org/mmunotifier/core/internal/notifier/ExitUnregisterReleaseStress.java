package org.mmunotifier.core.internal.notifier;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.mm.Process;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Exit and unregister race for the release of one notifier (invariant 3, DESIGN.md §3): release
 * runs exactly once, and it has finished before exit returns (exit may free pages only after every
 * release, whoever runs it).
 *
 * <p>r1: how many times release ran; r2: 1 if the release had finished when exit returned.
 */
@JCStressTest
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "release ran once and had finished when exit returned")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "exit returned before the release (run by unregister) had finished")
@Outcome(expect = FORBIDDEN, desc = "release ran zero times or more than once")
@State
public class ExitUnregisterReleaseStress {
    private final Process process = new Machine(1, PageLayout.BITS_64).spawn();
    private final Mm mm = process.mm();
    private final AtomicInteger releases = new AtomicInteger();
    private volatile boolean releaseFinished;
    private final MmuNotifier notifier = new MmuNotifier() {
        @Override
        public void release(MmStruct m) {
            releases.incrementAndGet();
            releaseFinished = true;
        }
    };

    public ExitUnregisterReleaseStress() {
        mm.register(notifier);
    }

    @Actor
    public void unregister() {
        mm.unregister(notifier);
    }

    @Actor
    public void exit(II_Result r) {
        process.exit();
        r.r2 = releaseFinished ? 1 : 0;
    }

    @Arbiter
    public void releases(II_Result r) {
        r.r1 = releases.get();
    }
}
