package org.mmunotifier.core.internal.shell;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The commands of one Gogo scope, with what each does: what {@code mmu}, {@code kvm}, … print. Gogo's
 * own {@code help} takes a command, not a scope; these give {@code help mmu} something to find.
 */
final class ScopeIndex {
    private ScopeIndex() {
    }

    /** {@code scope:function - description}, one line per function (overloads once), sorted; or one line saying there is none. */
    static Object of(BundleContext context, String scope) {
        TreeMap<String, String> lines = new TreeMap<>();
        ServiceReference<?>[] refs;
        try {
            refs = context.getServiceReferences((String) null, "(osgi.command.scope=" + scope + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad scope name '" + scope + "'");
        }
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            Object service = context.getService(ref);
            if (service == null) {
                continue;
            }
            try {
                for (String function : functions(ref)) {
                    lines.putIfAbsent(function, scope + ":" + function + " - " + describe(service, function));
                }
            } finally {
                context.ungetService(ref);
            }
        }
        return lines.isEmpty() ? "no commands in scope " + scope + " (is its bundle active?)"
                : new ArrayList<>(lines.values());
    }

    private static List<String> functions(ServiceReference<?> ref) {
        Object f = ref.getProperty("osgi.command.function");
        return f instanceof String[] a ? List.of(a) : f instanceof String s ? List.of(s) : List.of();
    }

    private static String describe(Object service, String function) {
        for (Method m : service.getClass().getMethods()) {
            Descriptor d = m.getAnnotation(Descriptor.class);
            if (m.getName().equals(function) && Modifier.isPublic(m.getModifiers()) && d != null) {
                return d.value();
            }
        }
        return "";
    }
}
