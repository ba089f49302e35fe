package org.mmunotifier.api;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A component's configuration read from its properties with messages an operator can act on, in
 * place of Declarative Services' own conversion (which fails with a bare
 * {@code NumberFormatException} naming neither the key nor the configuration, takes
 * {@code attach=maybe} for false, and refuses the hex the shell prints everywhere).
 *
 * <p>The configuration type is the component's annotation (the one its {@code @Designate} names
 * for Metatype); a property is the method's name ({@code _} read as {@code .}, {@code __} as
 * {@code _}, as Declarative Services maps them) and an absent one takes the method's default.
 * Numbers ({@code int}, {@code long}, {@code double}) may be written in decimal or in hex
 * ({@code 0x4000_0000}), with {@code _} between digits; {@code boolean}s are {@code true} or
 * {@code false} only; an enum is one of its constants' names (any case).
 *
 * <p>Typical use: {@link #lenient} when the component activates (a bad value is reported and its
 * default applies, so the driver still starts), {@link #strict} in its {@code @Modified} method (a bad
 * value changes nothing: report the exception's message and keep the settings it runs with).
 */
public final class ConfigValues {
    private ConfigValues() {
    }

    /**
     * The bounds of a number property, checked by {@link #strict} and {@link #lenient} (Metatype's own
     * {@code min}/{@code max} are not there at runtime).
     */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.METHOD)
    public @interface Range {
        long min();

        long max();
    }

    /**
     * @param pid the configuration's PID, named in the messages
     * @throws IllegalArgumentException naming the PID, the property, its value and what it should be, for the
     *     first property of {@code properties} that is not a value of its method's type
     */
    public static <A extends Annotation> A strict(String pid, Class<A> type, Map<String, ?> properties) {
        return read(pid, type, properties, false, problem -> {
            throw new IllegalArgumentException(problem);
        });
    }

    /**
     * As {@link #strict}, but a property that is not a value of its type is told to {@code problems} (one
     * message each, ending with the default that applies instead) and takes its default.
     */
    public static <A extends Annotation> A lenient(String pid, Class<A> type, Map<String, ?> properties,
            Consumer<String> problems) {
        return read(pid, type, properties, true, problems);
    }

    /**
     * For a {@code @Modified} method: the configuration read {@link #strict}ly, or null after telling
     * {@code problems} what was wrong and that nothing changed.
     */
    public static <A extends Annotation> A changed(String pid, Class<A> type, Map<String, ?> properties,
            Consumer<String> problems) {
        try {
            return strict(pid, type, properties);
        } catch (IllegalArgumentException e) {
            problems.accept(e.getMessage() + "; nothing changed");
            return null;
        }
    }

    /** Problems as WARNING records of {@code component}'s {@code System.Logger}: one line each on the operator's console. */
    public static Consumer<String> warnings(Class<?> component) {
        System.Logger log = System.getLogger(component.getName());
        return problem -> log.log(System.Logger.Level.WARNING, problem);
    }

    /** Problems dropped: for the other components of a PID, when one of them reports. */
    public static Consumer<String> quiet() {
        return problem -> {
        };
    }

    private static <A extends Annotation> A read(String pid, Class<A> type, Map<String, ?> properties,
            boolean withDefaults, Consumer<String> problems) {
        if (!type.isAnnotation()) {
            throw new IllegalArgumentException(type.getName() + " is not an annotation type");
        }
        Map<String, Object> values = new HashMap<>();
        for (Method m : type.getDeclaredMethods()) {
            Object dflt = m.getDefaultValue();
            Object raw = properties == null ? null : properties.get(property(m.getName()));
            Object v = dflt;
            if (raw != null) {
                try {
                    v = inRange(convert(raw, m.getReturnType()), m.getAnnotation(Range.class));
                } catch (IllegalArgumentException e) {
                    problems.accept(pid + ": " + property(m.getName()) + "='" + raw + "' " + e.getMessage()
                            + (withDefaults && dflt != null ? "; the default " + show(dflt) + " applies" : ""));
                }
            }
            if (v == null) {
                throw new IllegalArgumentException(pid + ": " + property(m.getName()) + " has no value and no default");
            }
            values.put(m.getName(), v);
        }
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "toString":
                    return pid + values;
                case "hashCode":
                    return values.hashCode();
                case "equals":
                    return p == args[0];
                default:
                    return values.get(method.getName());
            }
        });
        return type.cast(proxy);
    }

    private static Object inRange(Object v, Range r) {
        if (r != null && v instanceof Number n && (n.longValue() < r.min() || n.longValue() > r.max())) {
            throw new IllegalArgumentException("is out of range: " + r.min() + ".." + r.max());
        }
        return v;
    }

    /** The property a method reads, as Declarative Services maps names: {@code __} is {@code _}, {@code _} is {@code .}. */
    static String property(String method) {
        return method.replace("__", "\u0000").replace('_', '.').replace('\u0000', '_');
    }

    private static String show(Object v) {
        return v instanceof Long l && l >= 0x10000 ? "0x" + Long.toHexString(l) : String.valueOf(v);
    }

    /** {@code raw} (a String from a .cfg file, or a typed value) as {@code to}. */
    static Object convert(Object raw, Class<?> to) {
        String text = raw.toString().strip();
        if (to == int.class || to == long.class) {
            long v = raw instanceof Number n && !(raw instanceof Double || raw instanceof Float) ? n.longValue() : whole(text);
            if (to == int.class && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("is out of range for an int");
            }
            return to == int.class ? (Object) (int) v : (Object) v;
        }
        if (to == double.class) {
            try {
                return raw instanceof Number n ? n.doubleValue() : Double.parseDouble(text.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a number");
            }
        }
        if (to == boolean.class) {
            if (raw instanceof Boolean b) {
                return b;
            }
            if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(text);
            }
            throw new IllegalArgumentException("is not true or false");
        }
        if (to == String.class) {
            return raw.toString();
        }
        if (to.isEnum()) {
            for (Object c : to.getEnumConstants()) {
                if (((Enum<?>) c).name().equalsIgnoreCase(text)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("is not one of " + Arrays.toString(to.getEnumConstants()));
        }
        throw new IllegalArgumentException("cannot be read as " + to.getSimpleName());
    }

    /** A whole number in decimal or hex ({@code 0x…}), with {@code _} between digits and an optional sign. */
    static long whole(String text) {
        String t = text.replace("_", "");
        boolean negative = t.startsWith("-");
        String digits = negative || t.startsWith("+") ? t.substring(1) : t;
        boolean hex = digits.toLowerCase(Locale.ROOT).startsWith("0x");
        try {
            long v = hex ? Long.parseUnsignedLong(digits.substring(2), 16) : Long.parseLong(digits);
            if (hex && v < 0) {
                throw new NumberFormatException();
            }
            return negative ? -v : v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a whole number (decimal, or hex as 0x4000_0000)");
        }
    }
}
