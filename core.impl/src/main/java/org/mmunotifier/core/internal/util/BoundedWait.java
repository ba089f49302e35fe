package org.mmunotifier.core.internal.util;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code wait_event} with a bound: the waits the core makes on something a driver may never
 * finish. Uninterruptible, like the kernel's (an interrupt is kept for the caller).
 */
public final class BoundedWait {
    private BoundedWait() {
    }

    /**
     * Waits on {@code monitor}, whose lock the caller holds, until {@code done} is true or
     * {@code timeoutNanos} have passed; whoever makes {@code done} true must {@code notifyAll}.
     *
     * @return whether {@code done} became true
     */
    public static boolean await(Object monitor, BooleanSupplier done, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean interrupted = false;
        try {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
