package org.mmunotifier.api;

/** A notifier, interval subscription or rmap notifier is not registered where it is being unregistered. */
public class NotRegisteredException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NotRegisteredException(String message) {
        super(message);
    }
}
