package org.mmunotifier.explore;

import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.Race;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.TestProcess;

/**
 * The mirror's races, explored: the primary drops a page (madvise) and writes it again while the
 * device reads and writes it. Run by {@link MirrorExploreTest}, which checks how they end (not by
 * surefire directly: the missing retry must fail).
 */
class MirrorRaces {
    static final long PAGE = DemoLayout.region(0);

    record Rig(TestProcess p, IntervalMirror mirror) {
    }

    static Race<Rig> race(boolean skipRetry) {
        return Race.of(TestMachine.settings().driver("com.example.mirror"), m -> {
            TestProcess p = m.spawnDemo();
            p.write(PAGE, 1);
            return new Rig(p, new IntervalMirror(p.mm(), PAGE, 1, m.oracle(), skipRetry));
        })
                .actor("primary", r -> r.p().madviseDontNeed(PAGE, 4096), r -> r.p().write(PAGE, 2))
                .actor("device", r -> r.mirror().access(PAGE, false, 0), r -> r.mirror().access(PAGE, true, 7));
    }

    @Explore(iterations = 1000)
    void missingRetry() {
        race(true).assertCoherent();
    }

    @Explore(iterations = 1000)
    void withRetry() {
        race(false).assertCoherent();
    }
}
