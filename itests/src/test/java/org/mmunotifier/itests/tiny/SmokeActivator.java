package org.mmunotifier.itests.tiny;

import java.util.Hashtable;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The one class of the bundle {@code TinyBundleIT} builds on the fly. Started, it registers a {@link Runnable}
 * with {@code itests.smoke=activated} and the id of the bundle it was loaded from, so the test sees that it ran
 * and ran from the built bundle (not from the test probe, which holds the same class).
 */
public final class SmokeActivator implements BundleActivator {

    public static final String MARKER = "itests.smoke";
    public static final String LOADED_FROM = "itests.smoke.loadedFrom";

    private ServiceRegistration<Runnable> registration;

    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MARKER, "activated");
        props.put(LOADED_FROM, org.osgi.framework.FrameworkUtil.getBundle(SmokeActivator.class).getBundleId());
        registration = context.registerService(Runnable.class, () -> { }, props);
    }

    @Override
    public void stop(BundleContext context) {
        registration.unregister();
    }
}
