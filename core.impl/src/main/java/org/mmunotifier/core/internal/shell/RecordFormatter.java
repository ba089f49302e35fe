package org.mmunotifier.core.internal.shell;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Prints what the project's shell commands return, from every bundle of the project: a record as
 * {@code name value} lines (or one {@code name=value} line inside a list), a list of records as a
 * table with one column per component. Everything else is left to Gogo.
 */
@Component(service = Converter.class)
public final class RecordFormatter implements Converter {
    private static final String OURS = "org.mmunotifier.";

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof Record r && isOurs(r)) {
            return level == Converter.INSPECT ? inspect(r) : line(r);
        }
        if (target instanceof List<?> list && !list.isEmpty() && list.stream().allMatch(
                e -> e instanceof Record r && isOurs(r) && r.getClass() == list.get(0).getClass())) {
            return table(list);
        }
        return null;
    }

    private static boolean isOurs(Record r) {
        return r.getClass().getName().startsWith(OURS);
    }

    static String inspect(Record r) {
        RecordComponent[] cs = r.getClass().getRecordComponents();
        int w = 0;
        for (RecordComponent c : cs) {
            w = Math.max(w, c.getName().length());
        }
        StringBuilder b = new StringBuilder();
        for (RecordComponent c : cs) {
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(pad(c.getName(), w)).append("  ").append(value(r, c));
        }
        return b.toString();
    }

    static String line(Record r) {
        StringBuilder b = new StringBuilder();
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(c.getName()).append('=').append(value(r, c));
        }
        return b.toString();
    }

    static String table(List<?> rows) {
        RecordComponent[] cs = rows.get(0).getClass().getRecordComponents();
        List<String[]> cells = new ArrayList<>();
        String[] head = new String[cs.length];
        int[] w = new int[cs.length];
        for (int i = 0; i < cs.length; i++) {
            head[i] = cs[i].getName();
            w[i] = head[i].length();
        }
        for (Object row : rows) {
            String[] line = new String[cs.length];
            for (int i = 0; i < cs.length; i++) {
                line[i] = value((Record) row, cs[i]);
                w[i] = Math.max(w[i], line[i].length());
            }
            cells.add(line);
        }
        StringBuilder b = new StringBuilder();
        appendRow(b, head, w);
        for (String[] line : cells) {
            b.append('\n');
            appendRow(b, line, w);
        }
        return b.toString();
    }

    private static void appendRow(StringBuilder b, String[] cells, int[] w) {
        for (int i = 0; i < cells.length; i++) {
            b.append(i == cells.length - 1 ? cells[i] : pad(cells[i], w[i] + 2));
        }
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    private static String value(Record r, RecordComponent c) {
        try {
            Method m = c.getAccessor();
            m.setAccessible(true); // records of other bundles' private packages
            return String.valueOf(m.invoke(r));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "?";
        }
    }
}
