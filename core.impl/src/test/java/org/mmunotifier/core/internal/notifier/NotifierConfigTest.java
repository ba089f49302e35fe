package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NotifierConfigTest {

    @Test
    void onAndOffAreUnderstood() {
        assertTrue(NotifierConfig.parse("on"));
        assertTrue(NotifierConfig.parse(" TRUE "));
        assertFalse(NotifierConfig.parse("off"));
        assertFalse(NotifierConfig.parse("false"));
    }

    @Test
    void anythingElseIsRejectedNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NotifierConfig.parse("maybe"));
        assertTrue(e.getMessage().contains("mmunotifier.notifiers=maybe"), e.getMessage());
    }
}
