package org.mmunotifier.api;

/** Notifiers are compiled out (the {@code CONFIG_MMU_NOTIFIER=n} configuration). */
public class NotifiersDisabledException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    public NotifiersDisabledException(String message) {
        super(message);
    }
}
