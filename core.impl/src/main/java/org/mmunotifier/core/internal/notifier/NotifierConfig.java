package org.mmunotifier.core.internal.notifier;

import java.util.Locale;

/**
 * {@code CONFIG_MMU_NOTIFIER}. Read once per JVM from the system property
 * {@value #PROPERTY} ({@code on}, the default, or {@code off}) into a {@code static final}, so that
 * with notifiers off the JIT folds every hook to nothing.
 */
public final class NotifierConfig {
    public static final String PROPERTY = "mmunotifier.notifiers";
    public static final boolean COMPILED_IN = parse(System.getProperty(PROPERTY, "on"));

    private NotifierConfig() {
    }

    static boolean parse(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "on":
            case "true":
                return true;
            case "off":
            case "false":
                return false;
            default:
                throw new IllegalArgumentException("system property " + PROPERTY + "=" + value
                        + " is not valid: use on or off");
        }
    }
}
