package org.mmunotifier.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * A Gogo session on the framework's {@code CommandProcessor}, with byte-array streams, and reflective access to
 * what commands return.
 *
 * <p>The itests module has no compile dependency on the Gogo runtime (and the project's records are in private
 * packages), so the Gogo API is reached through the interfaces the runtime bundle exports, by reflection, and
 * records through their components.
 */
public final class GogoShell implements AutoCloseable {

    public static final String PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    public static final String SESSION = "org.apache.felix.service.command.CommandSession";
    public static final String DESCRIPTOR = "org.apache.felix.service.command.Descriptor";
    /** {@code Converter.INSPECT}. */
    public static final int INSPECT = 0;
    /** {@code Converter.LINE}. */
    public static final int LINE = 1;

    public static final String SCOPE = "osgi.command.scope";
    public static final String FUNCTION = "osgi.command.function";

    private final Object session;
    private final Method execute;
    private final Method format;
    private final Method close;
    private final ByteArrayOutputStream out;
    private final ByteArrayOutputStream err;

    private GogoShell(Object session, Class<?> sessionType, ByteArrayOutputStream out, ByteArrayOutputStream err)
            throws NoSuchMethodException {
        this.session = session;
        this.execute = sessionType.getMethod("execute", CharSequence.class);
        this.format = sessionType.getMethod("format", Object.class, int.class);
        this.close = sessionType.getMethod("close");
        this.out = out;
        this.err = err;
    }

    /** A new session on the framework's command processor (waits for it), reading nothing. */
    public static GogoShell open(BundleContext context) throws Exception {
        ServiceReference<?> ref = processorReference(context);
        Object processor = context.getService(ref);
        if (processor == null) {
            throw new AssertionError("CommandProcessor went away");
        }
        Bundle gogo = ref.getBundle();
        Class<?> processorType = gogo.loadClass(PROCESSOR);
        Class<?> sessionType = gogo.loadClass(SESSION);
        Method create = processorType.getMethod("createSession", InputStream.class, OutputStream.class,
                OutputStream.class);
        ByteArrayInputStream in = new ByteArrayInputStream(new byte[0]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Object session = unwrap(() -> create.invoke(processor, in, out, err));
        return new GogoShell(session, sessionType, out, err);
    }

    /** The CommandProcessor's reference, waiting for it. */
    public static ServiceReference<?> processorReference(BundleContext context) throws InvalidSyntaxException {
        long deadline = System.nanoTime() + ItestSupport.DEFAULT_TIMEOUT.toNanos();
        while (true) {
            ServiceReference<?>[] refs = context.getAllServiceReferences(PROCESSOR, null);
            if (refs != null && refs.length > 0) {
                return refs[0];
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no " + PROCESSOR + " service; bundles: " + ItestSupport.describeBundles(context));
            }
            sleep(20);
        }
    }

    /** Runs a command line; what the command threw is thrown as is. */
    public Object execute(String commandLine) throws Exception {
        return unwrap(() -> execute.invoke(session, commandLine));
    }

    /** {@code session.format(result, level)} as a string. */
    public String format(Object result, int level) throws Exception {
        Object s = unwrap(() -> format.invoke(session, result, level));
        return s == null ? null : s.toString();
    }

    /** What was written to the session's output so far. */
    public String output() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What was written to the session's error stream so far. */
    public String errors() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        unwrap(() -> close.invoke(session));
    }

    // ---- command services ---------------------------------------------------------------------------------

    /** Every service registering commands in {@code scope} (getAllServiceReferences: the types are private). */
    public static List<ServiceReference<?>> commandServices(BundleContext context, String scope)
            throws InvalidSyntaxException {
        ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(" + SCOPE + "=" + scope + ")");
        List<ServiceReference<?>> out = new ArrayList<>();
        if (refs != null) {
            Collections.addAll(out, refs);
        }
        return out;
    }

    /** The command names a command service declares in {@code osgi.command.function}. */
    public static Set<String> functions(ServiceReference<?> ref) {
        Object p = ref.getProperty(FUNCTION);
        Set<String> names = new TreeSet<>();
        if (p instanceof String[] a) {
            Collections.addAll(names, a);
        } else if (p instanceof String s) {
            names.add(s);
        } else if (p instanceof Iterable<?> it) {
            it.forEach(o -> names.add(String.valueOf(o)));
        }
        return names;
    }

    /**
     * What a help command would find wrong: for each declared function, every public method of that name on the
     * service object that has no {@code @Descriptor}, and each declared function with no public method at all.
     */
    public static List<String> undescribed(BundleContext context, ServiceReference<?> ref) throws Exception {
        Object service = context.getService(ref);
        if (service == null) {
            throw new AssertionError("command service " + ref + " could not be got");
        }
        try {
            Class<? extends Annotation> descriptor = descriptorType(context);
            List<String> problems = new ArrayList<>();
            for (String function : functions(ref)) {
                List<Method> methods = new ArrayList<>();
                for (Method m : service.getClass().getMethods()) {
                    if (m.getName().equals(function) && m.getDeclaringClass() != Object.class) {
                        methods.add(m);
                    }
                }
                if (methods.isEmpty()) {
                    problems.add(function + ": no public method " + function + " on " + service.getClass().getName());
                }
                for (Method m : methods) {
                    if (m.getAnnotation(descriptor) == null) {
                        problems.add(service.getClass().getSimpleName() + "." + m.getName() + "("
                                + m.getParameterCount() + " args) has no @Descriptor");
                    }
                    for (int i = 0; i < m.getParameterCount(); i++) {
                        boolean described = false;
                        for (Annotation a : m.getParameterAnnotations()[i]) {
                            described |= descriptor.isInstance(a);
                        }
                        if (!described) {
                            problems.add(service.getClass().getSimpleName() + "." + m.getName() + " parameter " + i
                                    + " has no @Descriptor");
                        }
                    }
                }
            }
            return problems;
        } finally {
            context.ungetService(ref);
        }
    }

    /** The {@code @Descriptor} annotation type as the Gogo runtime bundle exports it. */
    @SuppressWarnings("unchecked")
    public static Class<? extends Annotation> descriptorType(BundleContext context) throws Exception {
        return (Class<? extends Annotation>) processorReference(context).getBundle().loadClass(DESCRIPTOR);
    }

    // ---- records ------------------------------------------------------------------------------------------

    /** A record component's value, e.g. {@code get(processInfo, "pid")} (the records may be package private). */
    public static Object get(Object record, String component) {
        if (record == null || !record.getClass().isRecord()) {
            throw new AssertionError("not a record: " + record + (record == null ? "" : " (" + record.getClass() + ")"));
        }
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            if (c.getName().equals(component)) {
                try {
                    Method m = c.getAccessor();
                    m.setAccessible(true);
                    return m.invoke(record);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError("cannot read " + component + " of " + record, e);
                }
            }
        }
        throw new AssertionError(record.getClass().getName() + " has no component " + component + ": " + record);
    }

    /** {@link #get} as a long (any integral number). */
    public static long getLong(Object record, String component) {
        return ((Number) get(record, component)).longValue();
    }

    /** The names of a record's components, in order. */
    public static List<String> components(Object record) {
        List<String> names = new ArrayList<>();
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            names.add(c.getName());
        }
        return names;
    }

    /** A result that must be a list. */
    public static List<?> list(Object result) {
        if (!(result instanceof List<?> l)) {
            throw new AssertionError("not a list: " + result + (result == null ? "" : " (" + result.getClass() + ")"));
        }
        return l;
    }

    // ---- internals ----------------------------------------------------------------------------------------

    private interface Call {
        Object call() throws ReflectiveOperationException;
    }

    private static Object unwrap(Call call) throws Exception {
        try {
            return call.call();
        } catch (InvocationTargetException e) {
            Throwable t = e.getTargetException();
            if (t instanceof Exception ex) {
                throw ex;
            }
            if (t instanceof Error er) {
                throw er;
            }
            throw e;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
