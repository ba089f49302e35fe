package org.mmunotifier.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AddressesTest {
    private static final long P = Addresses.PAGE_SIZE;

    @Test
    void validRanges() {
        assertDoesNotThrow(() -> Addresses.checkRange(0, P));
        assertDoesNotThrow(() -> Addresses.checkRange(0, Addresses.TASK_SIZE));
        assertDoesNotThrow(() -> Addresses.checkPage(Addresses.TASK_SIZE - P));
        assertEquals(4096, P);
    }

    @Test
    void eachKindOfBadRangeIsNamed() {
        assertEquals("range [0x2000, 0x1000) is inverted: end is below start",
                assertThrows(InvalidRangeException.class, () -> Addresses.checkRange(2 * P, P)).getMessage());
        assertTrue(assertThrows(InvalidRangeException.class, () -> Addresses.checkRange(P, P)).getMessage()
                .endsWith("is empty"));
        assertTrue(assertThrows(InvalidRangeException.class, () -> Addresses.checkRange(0, P + 1)).getMessage()
                .contains("not aligned to the page size 0x1000"));
        assertTrue(assertThrows(InvalidRangeException.class, () -> Addresses.checkRange(-P, P)).getMessage()
                .contains("outside the user address space"));
        assertTrue(assertThrows(InvalidRangeException.class,
                () -> Addresses.checkRange(0, Addresses.TASK_SIZE + P)).getMessage()
                .contains("outside the user address space"));
        assertThrows(InvalidRangeException.class, () -> Addresses.checkPage(Addresses.TASK_SIZE));
        assertThrows(InvalidRangeException.class, () -> Addresses.checkPage(17));
    }

    @Test
    void operatorsTypeHexOrDecimalWithUnderscoresBetweenDigits() {
        assertEquals(0x4000_0000L, Addresses.parse("0x4000_0000"));
        assertEquals(0x4000_0000L, Addresses.parse(" 0X40000000 "));
        assertEquals(4096, Addresses.parse("4_096"));
        for (String bad : new String[] {"0xzz", "0x4000_0000_", "_4096", "0x_1", "-4096", "", "0x", "12ab"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parse(bad));
            assertEquals("malformed address '" + bad + "': expected 0x-prefixed hex or decimal", e.getMessage());
        }
        assertEquals("malformed length '0x1ffffffffffffffff': too large", assertThrows(IllegalArgumentException.class,
                () -> Addresses.parse("0x1ffffffffffffffff", "length")).getMessage());
    }
}
