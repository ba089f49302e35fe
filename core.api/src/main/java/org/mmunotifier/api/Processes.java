package org.mmunotifier.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The processes of the machine, by pid. In OSGi each bundle gets its own instance: the core keeps
 * what a bundle registers through the mms it hands out, and takes it back if the bundle stops
 * without unregistering.
 */
@ProviderType
public interface Processes {

    /**
     * The mm of process {@code pid}.
     *
     * @throws NoSuchProcessException if there is no live process {@code pid}
     */
    MmStruct mm(int pid);

    /** The pids of the live processes, ascending. */
    List<Integer> pids();
}
