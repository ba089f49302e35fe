package org.mmunotifier.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.page.PageLayout;

class ConfigValuesTest {
    @interface Config {
        @ConfigValues.Range(min = 1, max = 64)
        int vcpus() default 2;

        boolean attach() default true;

        long attachAddress() default 0x4000_0000L;

        PageLayout layout() default PageLayout.BITS_64;

        String name() default "vm";

        int max_pages() default 7; // property "max.pages"
    }

    @Test
    void absentPropertiesTakeTheDefaultsAndNumbersMayBeHexWithUnderscores() {
        Config c = ConfigValues.strict("pid", Config.class, Map.of("attachAddress", "0x5000_0000", "vcpus", " 1_6 ",
                "layout", "bits_32", "max.pages", 9L));
        assertEquals(16, c.vcpus());
        assertEquals(0x5000_0000L, c.attachAddress());
        assertEquals(PageLayout.BITS_32, c.layout());
        assertEquals(9, c.max_pages());
        assertEquals(true, c.attach());
        assertEquals("vm", c.name());
        assertEquals(Config.class, c.annotationType());
        assertEquals(4, ConfigValues.strict("pid", Config.class, Map.of("vcpus", 4)).vcpus(), "typed values too");
    }

    @Test
    void aBadValueIsNamedWithItsConfigurationKeyValueAndWhatItShouldBe() {
        assertEquals("org.mmunotifier.drivers.kvm: vcpus='abc' is not a whole number (decimal, or hex as 0x4000_0000)",
                message(Map.of("vcpus", "abc")));
        assertEquals("org.mmunotifier.drivers.kvm: vcpus='65' is out of range: 1..64", message(Map.of("vcpus", "65")));
        assertEquals("org.mmunotifier.drivers.kvm: attach='maybe' is not true or false", message(Map.of("attach", "maybe")));
        assertEquals("org.mmunotifier.drivers.kvm: layout='BITS_16' is not one of [BITS_64, BITS_32]",
                message(Map.of("layout", "BITS_16")));
        assertEquals("org.mmunotifier.drivers.kvm: vcpus='0x1_0000_0000' is out of range for an int",
                message(Map.of("vcpus", "0x1_0000_0000")));
        assertEquals("org.mmunotifier.drivers.kvm: attachAddress='0x' is not a whole number (decimal, or hex as"
                + " 0x4000_0000)", message(Map.of("attachAddress", "0x")));
    }

    @Test
    void lenientlyABadValueIsReportedAndItsDefaultApplies() {
        List<String> said = new ArrayList<>();
        Config c = ConfigValues.lenient("p", Config.class, Map.of("vcpus", "0", "attachAddress", "0x6000_0000"), said::add);
        assertEquals(2, c.vcpus());
        assertEquals(0x6000_0000L, c.attachAddress(), "the good values are kept");
        assertEquals(List.of("p: vcpus='0' is out of range: 1..64; the default 2 applies"), said);
    }

    @Test
    void aChangeWithABadValueIsNullAndSaysNothingChanged() {
        List<String> said = new ArrayList<>();
        assertNull(ConfigValues.changed("p", Config.class, Map.of("attach", "yes"), said::add));
        assertEquals(List.of("p: attach='yes' is not true or false; nothing changed"), said);
        assertEquals(false, ConfigValues.changed("p", Config.class, Map.of("attach", "FALSE"), said::add).attach());
    }

    private static String message(Map<String, ?> properties) {
        return assertThrows(IllegalArgumentException.class,
                () -> ConfigValues.strict("org.mmunotifier.drivers.kvm", Config.class, properties)).getMessage();
    }
}
