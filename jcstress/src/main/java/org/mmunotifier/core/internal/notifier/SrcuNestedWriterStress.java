package org.mmunotifier.core.internal.notifier;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * As {@link SrcuGracePeriodStress}, but the writer is itself inside a read-side section, as an
 * unregister called from a callback is (invariant 4): its grace period skips its own section and
 * must still wait for the reader's on the other thread.
 */
@JCStressTest
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader began after the unlink and found nothing")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader found the object alive")
@Outcome(id = "-1", expect = FORBIDDEN, desc = "the reader used the object after the writer's grace period (from inside its own section) let it be freed")
@State
public class SrcuNestedWriterStress {
    private static final Srcu SRCU = new Srcu();

    private final SrcuNode.Holder shared = new SrcuNode.Holder();

    @Actor
    public void reader(I_Result r) {
        r.r1 = SrcuNode.lookUp(SRCU, shared);
    }

    @Actor
    public void writerInsideASection() {
        ReaderSlot own = SRCU.enter();
        try {
            SrcuNode.unlinkAndFree(SRCU, shared);
        } finally {
            SRCU.exit(own);
        }
    }
}
