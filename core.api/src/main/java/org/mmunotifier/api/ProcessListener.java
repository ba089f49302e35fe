package org.mmunotifier.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: register one as a service to hear about processes, for example to attach a device
 * context to each new one. Called on the thread that spawned or is exiting the process, without
 * any mm lock held; what a listener throws is logged and does not stop the others.
 */
@ConsumerType
public interface ProcessListener {

    /** Process {@code pid} exists and its memory is mapped; it has not run yet. */
    default void spawned(int pid, MmStruct mm) {
    }

    /**
     * Process {@code pid} is about to exit: its notifiers get {@link MmuNotifier#release} next.
     * A driver drops what it keeps for the process here (or in {@code release}).
     */
    default void exiting(int pid, MmStruct mm) {
    }
}
