package org.mmunotifier.itests.tiny.attaching;

import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.NotRegisteredException;

/** {@link AttachingDriver}'s registration on one process: it mirrors nothing, so it has nothing to drop. */
public final class AttachingNotifier implements MmuNotifier {
    private final MmStruct mm;

    AttachingNotifier(MmStruct mm) {
        this.mm = mm;
    }

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        return true;
    }

    void detach() {
        try {
            mm.unregister(this);
        } catch (NotRegisteredException | MmDeadException e) {
            // exit released it first
        }
    }
}
