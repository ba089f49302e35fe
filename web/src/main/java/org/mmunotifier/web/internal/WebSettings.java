package org.mmunotifier.web.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.function.UnaryOperator;

/**
 * Where the page is served, from framework (or system) properties: {@value #ON} ({@code false} switches it off,
 * Jetty then listens nowhere), {@value #HOST} (default {@value #DEFAULT_HOST}) and {@value #PORT} (default
 * {@value #DEFAULT_PORT}).
 *
 * @param on whether to serve the page
 * @param host the address to listen on
 * @param port the TCP port
 */
record WebSettings(boolean on, String host, int port) {
    static final String ON = "mmunotifier.web";
    /** Felix HTTP Jetty's own name for it. */
    static final String HOST = "org.apache.felix.http.host";
    /** The OSGi HTTP service's standard name for it, which Felix HTTP Jetty reads too. */
    static final String PORT = "org.osgi.service.http.port";
    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 8080;

    /**
     * The settings {@code property} gives (a null value: the default).
     *
     * @throws IllegalArgumentException naming the property and its bad value
     */
    static WebSettings from(UnaryOperator<String> property) {
        String on = property.apply(ON);
        boolean serve = on == null || on.isBlank() || on.strip().equalsIgnoreCase("true");
        if (!serve && !on.strip().equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(ON + " must be true or false, not '" + on + "'");
        }
        if (!serve) {
            return new WebSettings(false, DEFAULT_HOST, DEFAULT_PORT); // the rest is not looked at
        }
        String host = property.apply(HOST);
        host = host == null || host.isBlank() ? DEFAULT_HOST : host.strip();
        String p = property.apply(PORT);
        int port = DEFAULT_PORT;
        if (p != null && !p.isBlank()) {
            try {
                port = Integer.parseInt(p.strip());
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException(PORT + " must be a port number, 1..65535, not '" + p + "'");
            }
        }
        return new WebSettings(serve, host, port);
    }

    /** Why the page cannot listen at {@code host:port} now (the port is taken, say), or null if it can. */
    String unavailable() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // as Jetty does: a closed connection's TIME_WAIT does not count
            s.bind(new InetSocketAddress(host, port));
            return null;
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }
}
