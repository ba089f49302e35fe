package org.mmunotifier.core.internal.notifier;

import org.junit.jupiter.api.AfterEach;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Mm;

/** A fresh 64-bit core and one live mm per test. */
abstract class NotifierTestBase {
    protected final NotifierCore core = new NotifierCore(PageLayout.BITS_64);
    protected final Mm mm = new Mm(core);

    @AfterEach
    void closeCore() {
        core.close();
    }
}
