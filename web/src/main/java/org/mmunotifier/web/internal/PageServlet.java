package org.mmunotifier.web.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The status page itself, at {@code /}: one HTML file with its CSS, JavaScript and SVG inline (nothing loaded from
 * elsewhere), which polls {@code api/status} (see {@link ApiServlet}). Says on the console where it is served once
 * the HTTP server runs.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/")
@HttpWhiteboardServletName("mmunotifier-page")
public final class PageServlet extends HttpServlet {
    /** Inline script and style only; requests to this server only. */
    static final String CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final transient byte[] page;

    @Activate
    public PageServlet(@Reference(service = HttpServiceRuntime.class) ServiceReference<HttpServiceRuntime> runtime) {
        try (InputStream in = PageServlet.class.getResourceAsStream("page.html")) {
            if (in == null) {
                throw new IllegalStateException("page.html is missing from the bundle");
            }
            page = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("[mmu] web page at " + endpoint(runtime.getProperty(
                HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT)));
    }

    /** The first endpoint the server announces ({@code http://127.0.0.1:8080/}). */
    static String endpoint(Object endpoints) {
        Object first = endpoints instanceof Object[] a && a.length > 0 ? a[0]
                : endpoints instanceof Collection<?> c && !c.isEmpty() ? c.iterator().next() : endpoints;
        return first == null ? "(no endpoint announced)" : first.toString();
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        if (!path.equals("/") && !path.isEmpty()) {
            resp.sendError(404, "no such page: " + path + " (the status page is at /)");
            return;
        }
        resp.setContentType("text/html;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("Content-Security-Policy", CSP);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(page.length);
        resp.getOutputStream().write(page);
    }
}
