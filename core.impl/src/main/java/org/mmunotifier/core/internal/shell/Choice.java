package org.mmunotifier.core.internal.shell;

/**
 * A yes/no argument as an operator types it: {@code true}/{@code false} or the two words that say
 * what it means ({@code shared}/{@code private}, {@code write}/{@code read}). Gogo would turn any
 * other word into false; this refuses it.
 */
final class Choice {
    private Choice() {
    }

    /**
     * @throws IllegalArgumentException naming {@code what}, the text and the words it takes
     */
    static boolean parse(String what, String text, String yes, String no) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("true") || t.equals(yes)) {
            return true;
        }
        if (t.equals("false") || t.equals(no)) {
            return false;
        }
        throw new IllegalArgumentException(what + " must be true or false (or " + yes + "/" + no + "), not '" + text
                + "'");
    }
}
