package org.mmunotifier.testkit;

/**
 * One violation the coherence oracle recorded, for a test to assert on.
 *
 * @param number its number, from 1
 * @param bundle the driver that owns the registration (the settings' {@code driver} in a kit test)
 * @param notifier the registration's notifier ({@code toString()} at registration)
 * @param contract its contract: {@code seed}, {@code 2.6.27} or {@code 6.x}
 * @param mmId the address space
 * @param address the user address accessed
 * @param pfn the frame the device used
 * @param op {@code read}, {@code write} or {@code atomic}
 * @param rule the rule broken: {@code AFTER_RELEASE}, {@code USE_AFTER_FREE}, {@code INSIDE_WINDOW},
 *        {@code STALE_TRANSLATION}, {@code UNMAPPED} or {@code WRITE_PROTECTED} (README, "The
 *        contract a driver is held to")
 * @param reason why, in words
 * @param report the whole report: the access's stack, the fault that made the translation, the
 *        invalidations since, the frame's fate
 */
public record Verdict(long number, String bundle, String notifier, String contract, long mmId, long address, long pfn,
        String op, String rule, String reason, String report) {
    @Override
    public String toString() {
        return "#" + number + " " + bundle + " notifier " + notifier + " (" + contract + ") " + op + " at 0x"
                + Long.toHexString(address) + " of mm " + mmId + " via pfn " + pfn + ": " + rule + ": " + reason;
    }
}
