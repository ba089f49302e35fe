package org.mmunotifier.core.internal.oracle;

import java.util.List;

/**
 * A device access the primary MMU would not allow: whose registration made it, where, which of the
 * oracle's rules it broke, and why; and, as KASAN reports a bad access, what the author needs to
 * find the line: the access's own stack and the page's recent history.
 *
 * @param number its number, from 1, in the order the oracle saw them
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
 * @param thread the thread that made the access
 * @param timeMillis when
 * @param stack the access's stack, from the driver's call into its {@code DeviceAccess}
 * @param history the page's story, oldest first: the fault that made the translation (thread,
 *        sequence, stack), each invalidation of the address since and what this registration
 *        heard of it, and the frame's fate
 */
public record Violation(long number, String bundle, long bundleId, String notifier, String contract, long mmId, long address,
        long pfn, String op, Rule rule, String reason, String thread, long timeMillis, List<StackTraceElement> stack,
        List<String> history) {

    /** The oracle's rules (README: "The contract a driver is held to"). */
    public enum Rule {
        AFTER_RELEASE, USE_AFTER_FREE, INSIDE_WINDOW, STALE_TRANSLATION, UNMAPPED, WRITE_PROTECTED
    }

    public Violation {
        stack = List.copyOf(stack);
        history = List.copyOf(history);
    }

    /** A violation with no stack or history (made up by a test). */
    public Violation(String bundle, long bundleId, String notifier, String contract, long mmId, long address,
            long pfn, String op, Rule rule, String reason) {
        this(0, bundle, bundleId, notifier, contract, mmId, address, pfn, op, rule, reason, "?", 0, List.of(),
                List.of());
    }

    /** One line: who, where, which rule, why. */
    @Override
    public String toString() {
        return bundle + " notifier " + notifier + " (" + contract + ") " + op + " at 0x" + Long.toHexString(address)
                + " of mm " + mmId + " via pfn " + pfn + ": " + rule + ": " + reason;
    }

    /** {@link #toString()} after its number, as operators see it listed ({@code #12 …}). */
    public String numbered() {
        return "#" + number + " " + this;
    }

    /** The whole report, KASAN-style: the verdict, the access's stack, then the page's history. */
    public String report() {
        StringBuilder b = new StringBuilder();
        b.append("violation #").append(number).append(": ").append(rule).append(" by ").append(bundle).append('\n');
        b.append(op).append(" at 0x").append(Long.toHexString(address)).append(" of mm ").append(mmId)
                .append(" via pfn ").append(pfn).append(" by thread \"").append(thread).append("\", notifier ")
                .append(notifier).append(" (contract ").append(contract).append(")\n");
        b.append(reason).append('\n');
        b.append("\nThe access:\n");
        appendStack(b, stack);
        if (!history.isEmpty()) {
            b.append("\nThe page's history, oldest first:\n");
            for (String h : history) {
                b.append("  ").append(h.replace("\n", "\n  ")).append('\n');
            }
        }
        return b.toString();
    }

    static void appendStack(StringBuilder b, List<StackTraceElement> stack) {
        if (stack.isEmpty()) {
            b.append("    (no stack)\n");
        }
        for (StackTraceElement e : stack) {
            b.append("    at ").append(e).append('\n');
        }
    }
}
