package org.mmunotifier.core.internal.notifier;

import org.junit.jupiter.api.AfterEach;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Mm;

/** A fresh 64-bit machine and one live mm per test. */
abstract class NotifierTestBase {
    protected final Machine machine = new Machine(256, PageLayout.BITS_64);
    protected final NotifierCore core = machine.notifierCore();
    protected final Mm mm = newMm();

    /** The mm of a new process. */
    protected Mm newMm() {
        return machine.spawn().mm();
    }

    @AfterEach
    void closeMachine() {
        machine.close();
    }
}
