package org.mmunotifier.drivers.gru.internal;

/** A GRU instruction on a context that was closed or whose mm was released. */
public class ContextGoneException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ContextGoneException(String why) {
        super(why);
    }
}
