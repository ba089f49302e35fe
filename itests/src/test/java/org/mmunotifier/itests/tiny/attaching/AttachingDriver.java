package org.mmunotifier.itests.tiny.attaching;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A third-party driver as small as one can be: told of every process (the core's whiteboard), it
 * registers an {@link AttachingNotifier} on it and unregisters it when the process exits. Stopped,
 * it unregisters what it holds, unless its manifest says {@value #LEAK_HEADER}: true, in which case
 * it forgets them (the core must take them back, and a scenario must fail).
 */
public final class AttachingDriver implements BundleActivator, ProcessListener {
    public static final String LEAK_HEADER = "Leak-On-Stop";

    private final Map<Integer, AttachingNotifier> attached = new ConcurrentHashMap<>();
    private volatile boolean leak;
    private ServiceRegistration<ProcessListener> registration;

    @Override
    public void start(BundleContext context) {
        leak = "true".equals(context.getBundle().getHeaders().get(LEAK_HEADER));
        registration = context.registerService(ProcessListener.class, this, null);
    }

    @Override
    public void stop(BundleContext context) {
        registration.unregister();
        if (!leak) {
            attached.values().forEach(AttachingNotifier::detach);
        }
        attached.clear();
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        AttachingNotifier n = new AttachingNotifier(mm);
        try {
            mm.register(n);
            attached.put(pid, n);
        } catch (MmDeadException e) {
            // it exited before we got to it
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        AttachingNotifier n = attached.remove(pid);
        if (n != null) {
            n.detach();
        }
    }
}
