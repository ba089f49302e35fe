package org.mmunotifier.api;

/** An address range is not page aligned, is empty or inverted, or lies outside the user address space. */
public class InvalidRangeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidRangeException(String message) {
        super(message);
    }
}
