package org.mmunotifier.api;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Which kernel's MMU-notifier contract the simulated primary speaks to a notifier: which
 * callbacks it calls, for which primary operations, in which order. Chosen per registration: by
 * the notifier ({@link MmuNotifier#contract()}), else by its bundle (a requirement in the
 * {@value #NAMESPACE} namespace, e.g.
 * {@code Require-Capability: org.mmunotifier.contract;filter:="(org.mmunotifier.contract=2.6.27)"}),
 * else {@link #V6}. The README's driver guide has the table of operations and callbacks.
 */
public enum MmuNotifierContract {
    /**
     * Christoph Lameter's January 2008 patch (the seed): {@code release}, {@code age_page},
     * {@code invalidate_page} for a single page the reverse map unmapped (reclaim, migration)
     * after its pte was cleared, and {@code invalidate_range(start, end, lock)} once for a range
     * (the copy-on-write break's included) after its ptes changed and before its pages are freed,
     * {@code lock} true where the caller cannot sleep. No range start/end.
     */
    SEED("seed"),
    /**
     * Andrea Arcangeli's version merged in 2.6.27: range start/end around munmap, madvise,
     * mprotect, mremap and fork's write-protect; {@code invalidate_page} from the reverse-map
     * unmap (reclaim, migration) and from the copy-on-write break; {@code clear_flush_young} from
     * reclaim.
     */
    V2_6_27("2.6.27"),
    /**
     * Today's kernel (6.x): every pte change inside range start/end with its event (reclaim and
     * the copy-on-write break {@code CLEAR}, migration {@code MIGRATE}, …),
     * {@code arch_invalidate_secondary_tlbs} after the ptes changed, under the page-table lock,
     * before the pages are freed; {@code clear_flush_young}, {@code clear_young},
     * {@code test_young}; no {@code invalidate_page}.
     */
    V6("6.x");

    /** The OSGi namespace in which the core provides one capability per contract. */
    public static final String NAMESPACE = "org.mmunotifier.contract";

    private final String label;

    MmuNotifierContract(String label) {
        this.label = label;
    }

    /** {@code seed}, {@code 2.6.27} or {@code 6.x}: the value of the capability attribute. */
    public String label() {
        return label;
    }

    /**
     * The contract labelled {@code label} ({@code seed}, {@code 2.6.27}, {@code 6.x}), or by
     * constant name.
     *
     * @throws IllegalArgumentException naming the label and the ones there are
     */
    public static MmuNotifierContract parse(String label) {
        String l = label.strip();
        for (MmuNotifierContract c : values()) {
            if (c.label.equalsIgnoreCase(l) || c.name().equalsIgnoreCase(l)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no MMU-notifier contract '" + label + "': one of "
                + Arrays.stream(values()).map(MmuNotifierContract::label).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return label;
    }
}
