package org.mmunotifier.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebSettingsTest {

    private static WebSettings of(Map<String, String> props) {
        return WebSettings.from(props::get);
    }

    @Test
    void byDefaultThePageIsOnAtLoopback8080() {
        assertEquals(new WebSettings(true, "127.0.0.1", 8080), of(Map.of()));
    }

    @Test
    void hostAndPortComeFromTheirProperties() {
        assertEquals(new WebSettings(true, "::1", 9090),
                of(Map.of(WebSettings.PORT, " 9090 ", WebSettings.HOST, "::1")));
    }

    @Test
    void falseSwitchesItOffWithoutLookingAtTheRest() {
        WebSettings s = of(Map.of(WebSettings.ON, "FALSE", WebSettings.PORT, "not a port"));
        assertFalse(s.on());
    }

    @Test
    void aBadValueIsOneLineNamingPropertyAndValue() {
        IllegalArgumentException on = assertThrows(IllegalArgumentException.class,
                () -> of(Map.of(WebSettings.ON, "maybe")));
        assertEquals("mmunotifier.web must be true or false, not 'maybe'", on.getMessage());
        for (String bad : new String[] {"0", "65536", "-1", "http", "80.5"}) {
            IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                    () -> of(Map.of(WebSettings.PORT, bad)));
            assertEquals("org.osgi.service.http.port must be a port number, 1..65535, not '" + bad + "'",
                    port.getMessage());
        }
    }

    @Test
    void aPortInUseIsUnavailableAndAFreeOneIsNot() throws Exception {
        int port;
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = taken.getLocalPort();
            String why = new WebSettings(true, "127.0.0.1", port).unavailable();
            assertNotNull(why, "a taken port");
        }
        assertNull(new WebSettings(true, "127.0.0.1", port).unavailable(), "the port, once freed");
    }
}
