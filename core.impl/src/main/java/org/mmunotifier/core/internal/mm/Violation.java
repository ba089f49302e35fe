package org.mmunotifier.core.internal.mm;

/**
 * A device access the primary MMU would not allow: who did it, where, and why.
 *
 * @param device the driver or device that accessed memory
 * @param mmId the address space
 * @param address the user address
 * @param pfn the frame the device used
 * @param op the access (read, write, atomic)
 * @param reason what was wrong
 */
public record Violation(String device, long mmId, long address, long pfn, String op, String reason) {

    @Override
    public String toString() {
        return device + " " + op + " at 0x" + Long.toHexString(address) + " of mm " + mmId + " via pfn " + pfn + ": "
                + reason;
    }
}
