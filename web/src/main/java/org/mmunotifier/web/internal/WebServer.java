package org.mmunotifier.web.internal;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Decides, before Felix HTTP Jetty starts, whether it listens: not if the page is off ({@value WebSettings#ON}) or its
 * port is taken, each said in one line; the launcher goes on without the page. Jetty reads its settings from
 * framework properties when it starts (start level 3 in launcher.bndrun; this runs at 1) and Felix answers those not
 * set from system properties, so switching it off is {@code org.apache.felix.http.enable=false} as a system
 * property. Also quiets Jetty's, Felix HTTP's and SPI Fly's INFO lines, before SPI Fly registers SLF4J's provider
 * (level 2) and Jetty starts.
 */
@Component(immediate = true)
public final class WebServer {
    /** Felix HTTP Jetty's switch for its HTTP connector. */
    static final String HTTP_ENABLE = "org.apache.felix.http.enable";
    private static final System.Logger LOG = System.getLogger(WebServer.class.getName());
    /** Felix HTTP's logger: it warns that Jetty is not started when it is switched off. */
    private static final Logger FELIX_HTTP = Logger.getLogger("org.apache.felix.http");
    /**
     * Jetty's (through SLF4J to java.util.logging), Felix HTTP's and SPI Fly's loggers, at WARNING unless configured:
     * their INFO lines would fill the console at every start and stop. Held here: java.util.logging holds them weakly.
     */
    private static final List<Logger> QUIETED = List.of(Logger.getLogger("org.eclipse.jetty"), FELIX_HTTP,
            Logger.getLogger("org.apache.aries.spifly"));

    @Activate
    public WebServer(BundleContext context) {
        for (Logger l : QUIETED) {
            if (l.getLevel() == null) {
                l.setLevel(Level.WARNING);
            }
        }
        String off = whyOff(context);
        if (off != null && System.getProperty(HTTP_ENABLE) == null) {
            if (!off.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "web page off: " + off);
            }
            System.setProperty(HTTP_ENABLE, "false");
            if (FELIX_HTTP.getLevel() == Level.WARNING) {
                FELIX_HTTP.setLevel(Level.SEVERE); // its "Jetty not started (HTTP and HTTPS disabled)": we said why
            }
        }
    }

    /** Why Jetty must not listen: empty if the page is switched off, a line if it cannot be served; null if it can. */
    private static String whyOff(BundleContext context) {
        WebSettings s;
        try {
            s = WebSettings.from(context::getProperty);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!s.on()) {
            return "";
        }
        String why = s.unavailable();
        return why == null ? null : "cannot listen on port " + s.port() + " of " + s.host() + " (" + why
                + "); the launcher runs on without it (-D" + WebSettings.PORT + "=N picks another port)";
    }
}
