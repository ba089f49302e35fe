package org.mmunotifier.itests;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * ConfigurationAdmin through reflection, through the interfaces its bundle exports: the itests module has no compile
 * dependency on it. Configurations are created with location {@code "?"}, so that any bundle (not only the test
 * probe) may use them.
 */
final class ConfigAdmin {
    private final Object service;
    private final Method getConfiguration;
    private final Method listConfigurations;
    private final Method update;
    private final Method delete;
    private final Method getProperties;

    ConfigAdmin(BundleContext context) throws Exception {
        ServiceReference<?> ref = anyReference(context, "org.osgi.service.cm.ConfigurationAdmin");
        service = context.getService(ref);
        Class<?> cmType = ref.getBundle().loadClass("org.osgi.service.cm.ConfigurationAdmin");
        Class<?> cfgType = ref.getBundle().loadClass("org.osgi.service.cm.Configuration");
        getConfiguration = cmType.getMethod("getConfiguration", String.class, String.class);
        listConfigurations = cmType.getMethod("listConfigurations", String.class);
        update = cfgType.getMethod("update", Dictionary.class);
        delete = cfgType.getMethod("delete");
        getProperties = cfgType.getMethod("getProperties");
    }

    /** The configuration of {@code pid}, created (without properties) if there is none, for any bundle. */
    Object configuration(String pid) throws Exception {
        return call(getConfiguration, service, pid, "?");
    }

    void update(Object configuration, Dictionary<String, ?> properties) throws Exception {
        call(update, configuration, properties);
    }

    void delete(Object configuration) throws Exception {
        call(delete, configuration);
    }

    /** The properties of the configuration of {@code pid} that has properties, or null if there is none. */
    Map<String, Object> properties(String pid) throws Exception {
        Object[] found = (Object[]) call(listConfigurations, service, "(service.pid=" + pid + ")");
        if (found == null || found.length == 0) {
            return null;
        }
        Dictionary<?, ?> d = (Dictionary<?, ?>) call(getProperties, found[0]);
        if (d == null) {
            return null;
        }
        Map<String, Object> m = new TreeMap<>();
        for (Enumeration<?> keys = d.keys(); keys.hasMoreElements();) {
            Object k = keys.nextElement();
            m.put(String.valueOf(k), d.get(k));
        }
        return m;
    }

    static Object call(Method m, Object target, Object... args) throws Exception {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable t = e.getTargetException();
            throw t instanceof Exception ex ? ex : new RuntimeException(t);
        }
    }

    /**
     * A reference to a service registered under {@code type}, waiting for one. getAllServiceReferences: the probe
     * has no compile-time (and so no wired) view of ConfigAdmin's or Metatype's packages.
     */
    static ServiceReference<?> anyReference(BundleContext context, String type) throws Exception {
        long deadline = System.nanoTime() + ItestSupport.DEFAULT_TIMEOUT.toNanos();
        while (true) {
            ServiceReference<?>[] refs = context.getAllServiceReferences(type, null);
            if (refs != null && refs.length > 0) {
                return refs[0];
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no service " + type + " within " + ItestSupport.DEFAULT_TIMEOUT.toMillis()
                        + " ms; bundles: " + ItestSupport.describeBundles(context));
            }
            Thread.sleep(20);
        }
    }
}
