package org.mmunotifier.web.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Map;

/**
 * Writes JSON: maps (keys as strings), iterables and arrays of objects, records (by component), enums (by name),
 * strings, numbers (NaN and infinities as null), booleans and null. Enough for the page's endpoints, nothing more.
 */
final class Json {
    private Json() {
    }

    static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof CharSequence || v instanceof Character || v instanceof Enum<?>) {
            string(b, v instanceof Enum<?> e ? e.name() : v.toString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            b.append(Double.isFinite(d) ? Double.toString(d) : "null");
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(sep);
                string(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
                sep = ",";
            }
            b.append('}');
        } else if (v instanceof Iterable<?> it) {
            b.append('[');
            String sep = "";
            for (Object o : it) {
                b.append(sep);
                write(b, o);
                sep = ",";
            }
            b.append(']');
        } else if (v instanceof Object[] a) {
            write(b, java.util.Arrays.asList(a));
        } else if (v instanceof Record r) {
            record(b, r);
        } else {
            string(b, v.toString());
        }
    }

    private static void record(StringBuilder b, Record r) {
        b.append('{');
        String sep = "";
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object value;
            try {
                value = c.getAccessor().invoke(r);
            } catch (IllegalAccessException | InvocationTargetException e) {
                value = "(unreadable: " + e + ")";
            }
            b.append(sep);
            string(b, c.getName());
            b.append(':');
            write(b, value);
            sep = ",";
        }
        b.append('}');
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                // '<' escaped too: a string can never close the page's <script> if it is ever inlined.
                default -> {
                    if (c < 0x20 || c == '<' || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
