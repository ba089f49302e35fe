package org.mmunotifier.bench;

import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;

/** The cheapest notifier that still does something the JIT cannot drop: counts its calls. */
public final class NopNotifier implements MmuNotifier {
    public long starts;
    public long ends;

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        starts++;
        return true;
    }

    @Override
    public void invalidateRangeEnd(MmuNotifierRange range) {
        ends++;
    }
}
