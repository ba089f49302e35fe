package org.mmunotifier.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * A Gogo session on the framework's {@link CommandProcessor}, with byte-array streams, and reflective access to
 * what commands return.
 *
 * <p>The project's records (and its command classes) are in private packages, so their components and the
 * command methods are read by reflection; the Gogo API itself is used directly.
 */
public final class GogoShell implements AutoCloseable {

    private final CommandSession session;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private GogoShell(CommandProcessor processor) {
        this.session = processor.createSession(new ByteArrayInputStream(new byte[0]), out, err);
    }

    /** A new session on the framework's command processor (waits for it), reading nothing. */
    public static GogoShell open(BundleContext context) {
        CommandProcessor processor;
        try {
            processor = ItestSupport.waitForService(context, CommandProcessor.class);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; bundles: " + ItestSupport.describeBundles(context), e);
        }
        return new GogoShell(processor);
    }

    /** Runs a command line; what the command threw is thrown as is. */
    public Object execute(String commandLine) throws Exception {
        return session.execute(commandLine);
    }

    /**
     * What {@code commandLine} throws, which must be an exception with a one-line message: Gogo prints that line
     * and nothing else. Fails if the command is accepted, or throws without a message or with more than one line.
     */
    public Exception refusal(String commandLine) {
        Object result;
        try {
            result = session.execute(commandLine);
        } catch (Exception e) {
            if (e.getMessage() == null) {
                throw new AssertionError(commandLine + " threw " + e.getClass().getName() + " without a message", e);
            }
            if (e.getMessage().contains("\n") || e.getMessage().contains("\r")) {
                throw new AssertionError(commandLine + ": message is more than one line: " + e.getMessage(), e);
            }
            return e;
        }
        throw new AssertionError(commandLine + " was accepted: " + result);
    }

    /** {@code session.format(result, level)} as a string; {@code level} is e.g. {@code Converter.INSPECT}. */
    public String format(Object result, int level) {
        CharSequence s = session.format(result, level);
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
    public void close() {
        session.close();
    }

    // ---- command services ---------------------------------------------------------------------------------

    /** Every service registering commands in {@code scope} (getAllServiceReferences: the types are private). */
    public static List<ServiceReference<?>> commandServices(BundleContext context, String scope)
            throws InvalidSyntaxException {
        ServiceReference<?>[] refs = context.getAllServiceReferences(null,
                "(" + CommandProcessor.COMMAND_SCOPE + "=" + scope + ")");
        List<ServiceReference<?>> out = new ArrayList<>();
        if (refs != null) {
            Collections.addAll(out, refs);
        }
        return out;
    }

    /** Waits (10 s at most) until some service registers commands in {@code scope}. */
    public static void waitForScope(BundleContext context, String scope) {
        ItestSupport.waitUntil("commands in scope " + scope, ItestSupport.DEFAULT_TIMEOUT, () -> {
            try {
                return !commandServices(context, scope).isEmpty();
            } catch (InvalidSyntaxException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** The command names a command service declares in {@code osgi.command.function}. */
    public static Set<String> functions(ServiceReference<?> ref) {
        Object p = ref.getProperty(CommandProcessor.COMMAND_FUNCTION);
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
     * service object that has no {@link Descriptor}, and each declared function with no public method at all.
     */
    public static List<String> undescribed(BundleContext context, ServiceReference<?> ref) {
        Object service = context.getService(ref);
        if (service == null) {
            throw new AssertionError("command service " + ref + " could not be got");
        }
        try {
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
                    if (m.getAnnotation(Descriptor.class) == null) {
                        problems.add(service.getClass().getSimpleName() + "." + m.getName() + "("
                                + m.getParameterCount() + " args) has no @Descriptor");
                    }
                    for (int i = 0; i < m.getParameterCount(); i++) {
                        boolean described = false;
                        for (Annotation a : m.getParameterAnnotations()[i]) {
                            described |= a instanceof Descriptor;
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
        if (result instanceof String s && s.startsWith("no ")) {
            return List.of(); // what a list command says when it has nothing to list
        }
        if (!(result instanceof List<?> l)) {
            throw new AssertionError("not a list: " + result + (result == null ? "" : " (" + result.getClass() + ")"));
        }
        return l;
    }
}
