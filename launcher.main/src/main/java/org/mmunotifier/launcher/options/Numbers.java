package org.mmunotifier.launcher.options;

/** Numbers an operator types (options, shell arguments), checked with a message naming what was wrong. */
public final class Numbers {
    private Numbers() {
    }

    /**
     * @param what the option's name, for the message
     * @param text the value as typed, or null for {@code dflt}
     * @throws IllegalArgumentException naming {@code what}, when {@code text} is not a number in {@code min..max}
     */
    public static long number(String what, String text, long dflt, long min, long max) {
        if (text == null) {
            return dflt;
        }
        long v;
        try {
            v = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a number, not '" + text + "'");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + "=" + v + " is out of range: " + min + ".." + max);
        }
        return v;
    }

    /** @throws IllegalArgumentException naming {@code what}, when {@code text} is not a probability (0..1, not NaN) */
    public static double probability(String what, String text) {
        double p;
        try {
            p = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a probability (0..1), not '" + text + "'");
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(what + "=" + text.strip() + " is out of range: 0..1");
        }
        return p;
    }
}
