package org.mmunotifier.itests.tiny.faulty;

import java.util.concurrent.atomic.AtomicBoolean;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;

/** The notifier {@link FaultyDriver} gives one process; how it misbehaves is the driver's mode. */
public final class FaultyNotifier implements MmuNotifier {
    private final FaultyDriver driver;
    final int pid;
    final MmStruct mm;
    private final AtomicBoolean blockedOnce = new AtomicBoolean();

    FaultyNotifier(FaultyDriver driver, int pid, MmStruct mm) {
        this.driver = driver;
        this.pid = pid;
        this.mm = mm;
    }

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        String mode = driver.mode();
        if (FaultyDriver.THROW.equals(mode)) {
            throw new IllegalStateException("faulty driver refuses [0x" + Long.toHexString(range.start()) + ", 0x"
                    + Long.toHexString(range.end()) + ") of pid " + pid);
        }
        if ((FaultyDriver.SLEEP.equals(mode) || FaultyDriver.STUCK.equals(mode)) && blocks(range)) {
            if (FaultyDriver.SLEEP.equals(mode)) {
                driver.sleep();
            } else {
                driver.stuck();
            }
        }
        return true;
    }

    /** Every call, or with a victim set, the victim's first UNMAP only. */
    private boolean blocks(MmuNotifierRange range) {
        Integer victim = Integer.getInteger(FaultyDriver.VICTIM);
        if (victim == null) {
            return driver.blocking();
        }
        return victim == pid && range.event() == MmuNotifierEvent.UNMAP && blockedOnce.compareAndSet(false, true);
    }

    @Override
    public boolean agePage(MmStruct m, long address) {
        if (FaultyDriver.OVERFLOW.equals(driver.mode())) {
            return deeper(0) > 0;
        }
        return false;
    }

    private static int deeper(int depth) {
        return deeper(depth + 1) + 1;
    }

    @Override
    public void release(MmStruct m) {
        if (FaultyDriver.SELF_UNREGISTER.equals(driver.mode())) {
            m.unregister(this);
            driver.forget(this);
        }
    }

    @Override
    public String toString() {
        return "faulty " + driver.mode() + " notifier of pid " + pid;
    }
}
