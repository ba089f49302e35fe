package org.mmunotifier.core.internal.util;

import java.io.PrintStream;
import java.util.function.Predicate;

/**
 * Lines the launcher prints on its own (the status line, log lines) while the operator may be typing.
 * With an interactive shell attached they are printed above its prompt, which is redrawn with the
 * line being typed; otherwise (headless, scenario runs, no shell) straight to the stream.
 */
public final class Console {
    /** Prints a line above the shell's prompt, false if it has none now; null with no shell attached. */
    private static volatile Predicate<String> above;

    private Console() {
    }

    /**
     * {@code printAbove} of the shell's line reader (false while it has none, e.g. before its first
     * prompt), or null to print straight to the streams again.
     */
    public static void attach(Predicate<String> printAbove) {
        above = printAbove;
    }

    /** Prints {@code line} above the prompt if a shell reads one, else on {@code stream}. */
    public static void println(PrintStream stream, String line) {
        Predicate<String> a = above;
        if (a != null) {
            try {
                if (a.test(line)) {
                    return;
                }
            } catch (RuntimeException e) {
                above = null; // the shell went away: the streams from now on
            }
        }
        stream.println(line);
    }
}
