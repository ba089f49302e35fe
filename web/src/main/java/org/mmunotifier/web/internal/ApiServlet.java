package org.mmunotifier.web.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.DeviceCountersProvider;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.Drivers;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The page's JSON endpoints under {@code /api/}: {@code GET status} (everything the page shows, see
 * {@link StatusReport}), {@code GET violation?n=N} (the oracle's whole report of one violation) and
 * {@code POST swap?driver=ID} (a driver updated from its jar, as {@code mmu:swap} does; only with the page's own
 * {@value #OPERATOR_HEADER} header, which another site's page cannot send). Bad input is one line in the JSON, never
 * a stack trace. Active only while the HTTP server runs; samples the machine's throughput every second meanwhile.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/*")
@HttpWhiteboardServletName("mmunotifier-api")
public final class ApiServlet extends HttpServlet {
    static final String OPERATOR_HEADER = "X-Mmu-Operator";
    /** Five minutes of one-second samples. */
    static final int SAMPLES = 300;
    private static final System.Logger LOG = System.getLogger(ApiServlet.class.getName());
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final transient MachineControl control;
    private final transient NotifierRegistry registry;
    private final transient Processes processes;
    private final transient Drivers drivers;
    private final transient BundleContext context;
    private final transient Throughput throughput = new Throughput(SAMPLES);
    private final transient ScheduledExecutorService sampler;
    /** The published device counters, by service reference (ordered: the first of a bundle wins). */
    private final transient Map<ServiceReference<DeviceCountersProvider>, DeviceCountersProvider> counters =
            new ConcurrentSkipListMap<>();
    private transient volatile StatusReport.SwapResult lastSwap;

    /** {@code runtime} is not used: referenced so that this is active, and samples, only while Jetty serves. */
    @Activate
    public ApiServlet(@Reference MachineControl control, @Reference NotifierRegistry registry,
            @Reference Processes processes, @Reference Drivers drivers,
            @Reference HttpServiceRuntime runtime, BundleContext context) {
        this.control = control;
        this.registry = registry;
        this.processes = processes;
        this.drivers = drivers;
        this.context = context;
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mmunotifier-web-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCounters(ServiceReference<DeviceCountersProvider> ref, DeviceCountersProvider provider) {
        counters.put(ref, provider);
    }

    void removeCounters(ServiceReference<DeviceCountersProvider> ref) {
        counters.remove(ref);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        sampler.shutdownNow();
        sampler.awaitTermination(2, TimeUnit.SECONDS);
    }

    private void sample() {
        try {
            throughput.sample(control.stats(), System.nanoTime(), System.currentTimeMillis());
        } catch (RuntimeException e) {
            // The core is going away; the next sample will tell.
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = String.valueOf(req.getPathInfo());
        switch (path) {
            case "/status" -> send(resp, 200, StatusReport.of(control, registry, processes, bundles(), counters(),
                    throughput, lastSwap));
            case "/violation" -> violation(req.getParameter("n"), resp);
            case "/swap" -> wrongMethod(req, resp, "POST");
            default -> send(resp, 404, Map.of("error", "no such page: " + req.getRequestURI()));
        }
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = String.valueOf(req.getPathInfo());
        if (path.equals("/status") || path.equals("/violation")) {
            wrongMethod(req, resp, "GET");
        } else if (!path.equals("/swap")) {
            send(resp, 404, Map.of("error", "no such page: " + req.getRequestURI()));
        } else if (!"page".equals(req.getHeader(OPERATOR_HEADER))) {
            send(resp, 403, new StatusReport.SwapResult(false, "refused: a swap is asked for by the status page"
                    + " (header " + OPERATOR_HEADER + ")", null));
        } else {
            swap(req.getParameter("driver"), resp);
        }
    }

    /** 405, saying which method {@code req}'s page takes. */
    private static void wrongMethod(HttpServletRequest req, HttpServletResponse resp, String allowed)
            throws IOException {
        resp.setHeader("Allow", allowed);
        send(resp, 405, Map.of("error", req.getRequestURI() + " takes " + allowed + ", not " + req.getMethod()));
    }

    private void violation(String n, HttpServletResponse resp) throws IOException {
        long number;
        try {
            number = Long.parseLong(String.valueOf(n).strip());
        } catch (NumberFormatException e) {
            send(resp, 400, Map.of("error", "a violation's number, please (n=12), not '" + n + "'"));
            return;
        }
        try {
            send(resp, 200, Map.of("number", number, "report", control.violationReport(number)));
        } catch (IllegalArgumentException e) {
            send(resp, 404, Map.of("error", oneLine(e)));
        }
    }

    private void swap(String driver, HttpServletResponse resp) throws IOException {
        String at = LocalTime.now().format(CLOCK) + " ";
        String what = driver == null ? "swap" : "swap of '" + driver + "'";
        Drivers.Swap swap = null;
        String line;
        int status;
        try {
            swap = drivers.update(driver);
            line = line(swap);
            status = 200;
        } catch (IllegalArgumentException | IllegalStateException e) {
            line = what + " refused: " + oneLine(e);
            status = e instanceof IllegalArgumentException ? 400 : 409;
        } catch (RuntimeException e) {
            line = what + " failed: " + e.getClass().getSimpleName() + ": " + oneLine(e);
            LOG.log(System.Logger.Level.WARNING, line, e); // the console has the line, the log file the stack
            status = 500;
        }
        lastSwap = new StatusReport.SwapResult(swap != null, at + line, swap);
        send(resp, status, lastSwap);
    }

    /** A swap as one line: who, how, how long. */
    static String line(Drivers.Swap s) {
        return s.bundle() + (s.how().equals("update") ? " updated from its jar" : " restarted") + ": teardown "
                + millis(s.teardownMicros()) + ", start " + millis(s.startMicros()) + ", " + s.leftBehind()
                + (s.leftBehind() == 1 ? " registration" : " registrations") + " left behind";
    }

    private static String millis(long micros) {
        return String.format("%.1f ms", micros / 1000.0);
    }

    private static String oneLine(Throwable t) {
        return String.valueOf(t.getMessage()).replaceAll("\\s+", " ").strip();
    }

    private List<StatusReport.BundleInfo> bundles() {
        List<StatusReport.BundleInfo> out = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            BundleRevision r = b.adapt(BundleRevision.class);
            out.add(new StatusReport.BundleInfo(b.getBundleId(), String.valueOf(b.getSymbolicName()),
                    b.getVersion().toString(), state(b.getState()), b.getLastModified(),
                    r != null && !r.getDeclaredCapabilities(Drivers.NAMESPACE).isEmpty()));
        }
        return out;
    }

    private Map<Long, StatusReport.Counters> counters() {
        Map<Long, StatusReport.Counters> out = new LinkedHashMap<>();
        counters.forEach((ref, provider) -> {
            Bundle b = ref.getBundle();
            if (b == null || out.containsKey(b.getBundleId())) {
                return;
            }
            StatusReport.Counters c;
            try {
                c = new StatusReport.Counters(provider.counters().snapshot(), "");
            } catch (RuntimeException e) { // a driver's code
                c = new StatusReport.Counters(null, "counters() threw " + e);
            }
            out.put(b.getBundleId(), c);
        });
        return out;
    }

    static String state(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
    }

    private static void send(HttpServletResponse resp, int status, Object body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }
}
