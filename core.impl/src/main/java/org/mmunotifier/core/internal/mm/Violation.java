package org.mmunotifier.core.internal.mm;

/**
 * A device access the primary MMU would not allow: whose registration made it, where, which of the
 * oracle's rules it broke, and why.
 *
 * @param bundle the bundle that owns the registration ({@code bsn version [id]}), stamped by the core
 * @param bundleId that bundle's id, or -1
 * @param notifier the registration's notifier (its {@code toString()} at registration)
 * @param contract the registration's contract ({@code seed}, {@code 2.6.27}, {@code 6.x})
 * @param mmId the address space
 * @param address the user address
 * @param pfn the frame the device used
 * @param op the access (read, write, atomic)
 * @param rule the rule it broke
 * @param reason what was wrong, in words
 */
public record Violation(String bundle, long bundleId, String notifier, String contract, long mmId, long address,
        long pfn, String op, Rule rule, String reason) {

    /** The oracle's rules (README: "The contract a driver is held to"). */
    public enum Rule {
        AFTER_RELEASE, USE_AFTER_FREE, INSIDE_WINDOW, STALE_TRANSLATION, UNMAPPED, WRITE_PROTECTED
    }

    @Override
    public String toString() {
        return bundle + " notifier " + notifier + " (" + contract + ") " + op + " at 0x" + Long.toHexString(address)
                + " of mm " + mmId + " via pfn " + pfn + ": " + rule + ": " + reason;
    }
}
