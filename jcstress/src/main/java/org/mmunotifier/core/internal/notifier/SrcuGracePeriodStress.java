package org.mmunotifier.core.internal.notifier;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * The read side against a grace period (invariants 2 and 10): a writer unlinks an object, waits
 * for a grace period ({@link Srcu#synchronize()}) and then frees (poisons) it; a reader on another
 * thread looks the object up inside a read-side section. A reader that found the object must never
 * see it freed: the grace period waits for every section that could have found it.
 */
@JCStressTest
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader began after the unlink and found nothing")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader found the object alive")
@Outcome(id = "-1", expect = FORBIDDEN, desc = "the reader used the object after the grace period let the writer free it")
@State
public class SrcuGracePeriodStress {
    /** One domain for every state, as the core has one for every mm: slots are per thread, made once. */
    private static final Srcu SRCU = new Srcu();

    private final SrcuNode.Holder shared = new SrcuNode.Holder();

    @Actor
    public void reader(I_Result r) {
        r.r1 = SrcuNode.lookUp(SRCU, shared);
    }

    @Actor
    public void writer() {
        SrcuNode.unlinkAndFree(SRCU, shared);
    }
}
