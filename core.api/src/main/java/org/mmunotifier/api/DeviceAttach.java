package org.mmunotifier.api;

import java.util.List;
import java.util.Objects;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link ProcessListener} that gives every new process one device context over an
 * {@link AttachRegion} (a VM, a memory region, a GRU context, …) and, when a process exits, tears
 * down every context the driver has on it, whoever created it. Register a subclass as a
 * {@code ProcessListener} service.
 *
 * @param <C> the driver's device context
 */
@ConsumerType
public abstract class DeviceAttach<C> implements ProcessListener {
    private volatile AttachRegion region;

    protected DeviceAttach(AttachRegion region) {
        this.region = Objects.requireNonNull(region, "region");
    }

    public final AttachRegion region() {
        return region;
    }

    /**
     * New settings for processes spawned from now on (a configuration change). Check them before
     * calling: a bad configuration must leave the old settings in force.
     */
    protected final void reconfigure(AttachRegion region) {
        this.region = Objects.requireNonNull(region, "region");
    }

    /** Creates the context of a new process over {@code region}. */
    protected abstract void attach(int pid, MmStruct mm, AttachRegion region);

    /** The driver's contexts on {@code mm} now. */
    protected abstract List<C> contextsOf(MmStruct mm);

    /**
     * Tears {@code context} down.
     *
     * @throws IllegalArgumentException if it is gone already (an operator or deactivation got there first)
     */
    protected abstract void detach(C context);

    @Override
    public final void spawned(int pid, MmStruct mm) {
        AttachRegion r = region;
        if (!r.enabled()) {
            return;
        }
        try {
            attach(pid, mm, r);
        } catch (MmDeadException e) {
            // the process exited before we got to it
        }
    }

    @Override
    public final void exiting(int pid, MmStruct mm) {
        for (C c : contextsOf(mm)) {
            try {
                detach(c);
            } catch (IllegalArgumentException e) {
                // gone meanwhile
            }
        }
    }
}
