package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.junit.Test;
import org.mmunotifier.itests.LauncherScenarioIT.Run;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator's status page in a real browser: the launcher's jar runs as a child process (as in
 * {@link LauncherScenarioIT}) with the page on a free port, and headless Chromium, driven through ChromeDriver, loads
 * it, reads what it shows (processes, the three drivers with their counters, registrations per bundle, the
 * throughput chart), swaps the KVM driver with its button and reads the result. A screenshot is left in
 * {@code target/web-page.png}. Without Chromium and ChromeDriver ({@code apt-get install chromium chromium-driver};
 * paths {@value #CHROMIUM} and {@value #CHROMEDRIVER} to override) the browser test is skipped, saying so. Every
 * wait is bounded; a watchdog kills the browser and the launcher if the whole test outlives {@link #DEADLINE}.
 *
 * <p>Also: a port that is taken is one warning, and the launcher runs on.
 */
public class WebPageIT {
    static final String PORT = "org.osgi.service.http.port";
    static final String CHROMIUM = "itests.chromium";
    static final String CHROMEDRIVER = "itests.chromedriver";
    private static final List<String> DRIVERS = List.of("kvm", "rdma", "gru");
    /** Selenium's own warnings (no DevTools version matching this Chromium) are no news here; held, JUL holds weakly. */
    private static final Logger SELENIUM = quiet(Logger.getLogger("org.openqa.selenium"));
    private static final String KVM = "org.mmunotifier.drivers.kvm";
    private static final Duration WAIT = Duration.ofSeconds(40);
    /**
     * The header line of a console log record from the loggers the web bundle turns down to warnings ({@code <date>
     * <class> <method>}): their INFO lines would fill the console, and a warning of theirs is news.
     */
    private static final Pattern QUIET = Pattern.compile(
            " (org\\.eclipse\\.jetty|org\\.apache\\.felix\\.http|org\\.apache\\.aries\\.spifly)\\.[\\w.$]+ [\\w$<>]+$");
    private static final Duration DEADLINE = Duration.ofSeconds(150);
    /** Chromium here has no network and no desktop: without these it hangs on connections it tries to make. */
    private static final List<String> HEADLESS = List.of("--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1800");

    @Test
    public void thePageShowsTheMachineAndSwapsADriver() throws Exception {
        Path chromium = Paths.get(System.getProperty(CHROMIUM, "/usr/bin/chromium"));
        Path chromedriver = Paths.get(System.getProperty(CHROMEDRIVER, "/usr/bin/chromedriver"));
        assumeTrue("no Chromium at " + chromium + " (apt-get install chromium, or -D" + CHROMIUM + "=PATH): the web"
                + " page is not tested in a browser", Files.isExecutable(chromium));
        assumeTrue("no ChromeDriver at " + chromedriver + " (apt-get install chromium-driver, or -D" + CHROMEDRIVER
                + "=PATH): the web page is not tested in a browser", Files.isExecutable(chromedriver));

        int port = freePort();
        String url = "http://127.0.0.1:" + port + "/";
        Path dir = LauncherScenarioIT.runFolder("web");
        ScheduledExecutorService watchdog = watchdog();
        Process launcher = LauncherScenarioIT.start(dir, List.of("-D" + PORT + "=" + port,
                "-Dmmunotifier.status.seconds=0"));
        ChromeDriverService service = null;
        WebDriver browser = null;
        Run run;
        try {
            awaitOutput(launcher, dir, out -> out.contains("[mmu] web page at " + url), "the page's address");
            service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort()
                    .withLogFile(dir.resolve("chromedriver.log").toFile()).build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(chromium.toFile());
            options.addArguments(HEADLESS);
            options.addArguments("--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
            options.setPageLoadTimeout(WAIT);
            options.setScriptTimeout(WAIT);
            browser = new ChromeDriver(service, options, ClientConfig.defaultConfig().readTimeout(WAIT));
            browser.get(url);
            // The page renders its tables anew at every poll: an element found may be gone when it is read.
            FluentWait<WebDriver> wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(250))
                    .ignoring(StaleElementReferenceException.class);

            assertEquals("mmu-notifier status", browser.getTitle());
            wait.withMessage("the page polls api/status").until(b -> text(b, "#live").startsWith("live"));
            // The drivers, active, their devices counting; registrations per bundle; processes with all three.
            for (String d : DRIVERS) {
                String bsn = "org.mmunotifier.drivers." + d;
                wait.withMessage(bsn + ": an active row whose device has made accesses").until(b -> {
                    Map<String, Object> row = driverRow(b, bsn);
                    return row != null && "ACTIVE".equals(row.get("state")) && number(row, "accesses") > 0
                            && number(row, "mappings") > 0 && number(row, "registrations") > 0;
                });
                wait.withMessage(bsn + " in the registrations per bundle").until(b -> !b.findElements(By.cssSelector(
                        "#registrations tr[data-bundle='" + bsn + "']")).isEmpty());
            }
            wait.withMessage("a process with the three drivers registered on it").until(b -> b.findElements(
                    By.cssSelector("#processes tbody tr[data-pid]")).stream().map(WebElement::getText)
                    .anyMatch(t -> t.contains("kvm") && t.contains("rdma") && t.contains("gru")));
            wait.withMessage("the throughput chart has a line of samples").until(b -> b.findElement(
                    By.cssSelector("#chart polyline.ops")).getAttribute("points").split(" ").length >= 2);
            assertEquals("three drivers", 3, browser.findElements(By.cssSelector("#drivers tbody tr[data-driver]"))
                    .size());

            // Swap KVM: its button, then the result line, then the driver back, updated, its registrations back.
            Map<String, Object> before = driverRow(browser, KVM);
            wait.withMessage("KVM's swap button clicked").until(b -> {
                b.findElement(By.cssSelector("button.swap[data-driver='" + KVM + "']")).click();
                return true;
            });
            wait.withMessage("the swap's result line").until(b -> b.findElement(By.id("swap-result"))
                    .getAttribute("class").matches("ok|bad"));
            String result = text(browser, "#swap-result");
            assertEquals("the swap succeeded: " + result, "ok", browser.findElement(By.id("swap-result"))
                    .getAttribute("class"));
            assertTrue(result, result.contains(KVM) && result.contains("[" + before.get("id")
                    + "] updated from its jar: teardown ") && result.contains(" 0 registrations left behind"));
            wait.withMessage("KVM active again, updated, its registrations back").until(b -> {
                Map<String, Object> row = driverRow(b, KVM);
                return row != null && "ACTIVE".equals(row.get("state"))
                        && !before.get("modified").equals(row.get("modified")) && number(row, "registrations") > 0
                        && number(row, "accesses") > 0;
            });
            assertEquals("the same bundle", before.get("id"), driverRow(browser, KVM).get("id"));
            refusesWhatThePageWouldNotAsk(url, driverRow(browser, KVM));
            assertEquals("the other drivers untouched", 3, browser.findElements(By.cssSelector(
                    "#drivers tbody tr[data-state='ACTIVE']")).size());
            Path png = Paths.get(System.getProperty("itests.screenshot", "target/web-page.png"));
            Files.createDirectories(png.toAbsolutePath().getParent());
            Files.write(png, ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
        } finally {
            quit(browser, service);
            run = stop(launcher, dir);
            watchdog.shutdownNow();
        }
        assertEquals("stack traces: " + run.describe(), List.of(), run.unloggedStackTraces());
        assertEquals("Jetty's, Felix HTTP's or SPI Fly's log on the console: " + run.describe(), List.of(),
                run.stderr.lines().filter(l -> QUIET.matcher(l).find()).toList());
    }

    /**
     * The API from outside the page: a swap without the page's header, a GET of swap, a driver that is not there,
     * each refused in one line of JSON with its status, and KVM not swapped by any of them.
     */
    private static void refusesWhatThePageWouldNotAsk(String url, Map<String, Object> kvm) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();
        HttpResponse<String> r = send(http, url + "api/swap?driver=kvm", "POST", Map.of());
        assertEquals(r.body(), 403, r.statusCode());
        assertTrue(r.body(), r.body().contains("\"ok\":false") && r.body().contains("X-Mmu-Operator"));
        r = send(http, url + "api/swap?driver=kvm", "GET", Map.of());
        assertEquals(r.body(), 405, r.statusCode());
        assertEquals("POST", r.headers().firstValue("Allow").orElse(null));
        r = send(http, url + "api/status", "POST", Map.of("X-Mmu-Operator", "page"));
        assertEquals(r.body(), 405, r.statusCode());
        r = send(http, url + "api/swap?driver=nosuch", "POST", Map.of("X-Mmu-Operator", "page"));
        assertEquals(r.body(), 400, r.statusCode());
        assertTrue(r.body(), r.body().startsWith("{\"ok\":false,\"line\":\"") && r.body().contains(
                "swap of 'nosuch' refused: no bundle 'nosuch'"));
        r = send(http, url + "api/violation?n=x", "GET", Map.of());
        assertEquals(r.body(), 400, r.statusCode());
        String status = send(http, url + "api/status", "GET", Map.of()).body();
        assertTrue("KVM not swapped again: " + status, status.contains("\"id\":" + kvm.get("id") + ",\"name\":\""
                + KVM + "\"") && status.contains("\"lastModified\":" + kvm.get("modified") + ","));
    }

    private static HttpResponse<String> send(HttpClient http, String url, String method, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(WAIT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(b::header);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(url, "application/json;charset=utf-8", r.headers().firstValue("Content-Type").orElse("")
                .replace(" ", "").toLowerCase(java.util.Locale.ROOT));
        return r;
    }

    private static void quit(WebDriver browser, ChromeDriverService service) {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            if (service != null) {
                service.stop();
            }
        }
    }

    /** Another program on the page's port: one warning naming the port; the launcher runs on, without the page. */
    @Test
    public void aTakenPortIsOneWarningAndTheLauncherRunsOn() throws Exception {
        Path dir = LauncherScenarioIT.runFolder("web-port-taken");
        ScheduledExecutorService watchdog = watchdog();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Process launcher = LauncherScenarioIT.start(dir, List.of("-D" + PORT + "=" + port,
                    "-Dmmunotifier.status.seconds=1"));
            Run run;
            try {
                awaitOutput(launcher, dir, out -> out.contains("web page off"), "the warning");
                long warnedAt = Run.read(dir.resolve("stdout.txt")).lines().count();
                awaitOutput(launcher, dir, out -> Run.read(dir.resolve("stdout.txt")).lines().skip(warnedAt)
                        .filter(l -> l.startsWith("[mmu] ") && l.contains(" ops/s")).count() >= 2,
                        "two status lines after the warning");
                assertTrue("still running", launcher.isAlive());
            } finally {
                run = stop(launcher, dir);
                watchdog.shutdownNow();
            }
            // One line through the operator log: "[mmu] WARN  org.mmunotifier.web [id] WebServer: web page off: ..."
            List<String> warnings = run.stderr.lines().filter(l -> l.startsWith("[mmu] WARN ")).toList();
            assertEquals(run.describe(), 1, warnings.size());
            assertTrue(run.describe(), warnings.get(0).matches("\\[mmu\\] WARN  org\\.mmunotifier\\.web \\[\\d+\\] WebServer:"
                    + " web page off: cannot listen on port " + port + " of 127\\.0\\.0\\.1 \\(.*"));
            assertFalse(run.describe(), run.stdout.contains("web page at"));
            assertEquals("stack traces: " + run.describe(), List.of(), run.unloggedStackTraces());
        }
    }

    private static Logger quiet(Logger l) {
        l.setLevel(Level.SEVERE);
        return l;
    }

    /** A driver's row as the page shows it now, read in one script (a row read cell by cell may be replaced meanwhile). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> driverRow(WebDriver b, String bsn) {
        return (Map<String, Object>) ((JavascriptExecutor) b).executeScript(
                "const r = document.querySelector(\"#drivers tbody tr[data-driver='\" + arguments[0] + \"']\");"
                + "if (!r) return null;"
                + "const v = s => r.querySelector(s).getAttribute('data-value') || '-1';"
                + "return {id: r.dataset.id, state: r.dataset.state, modified: r.dataset.modified,"
                + " registrations: r.querySelector('td.regs').textContent, accesses: v(\"td[data-counter='accesses']\"),"
                + " mappings: v(\"td[data-counter='mappings']\")};", bsn);
    }

    private static long number(Map<String, Object> row, String key) {
        return Long.parseLong(String.valueOf(row.get(key)));
    }

    private static String text(WebDriver b, String css) {
        return b.findElement(By.cssSelector(css)).getText();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** What a wait checks: the launcher's stdout and stderr so far. */
    private interface Output {
        boolean test(String output) throws IOException;
    }

    /** Waits until {@code done} holds of the launcher's output; fails if it ends or {@link #WAIT} passes first. */
    private static void awaitOutput(Process launcher, Path dir, Output done, String what) throws Exception {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!done.test(output(dir))) {
            if (!launcher.isAlive() || System.nanoTime() > end) {
                fail("no " + what + " from the launcher" + (launcher.isAlive() ? " within " + WAIT.toSeconds() + " s"
                        : ": it ended with " + launcher.exitValue()) + "\n" + output(dir));
            }
            Thread.sleep(100);
        }
    }

    private static String output(Path dir) throws IOException {
        return "--- stdout\n" + Run.read(dir.resolve("stdout.txt")) + "--- stderr\n" + Run.read(dir.resolve("stderr.txt"));
    }

    /** SIGTERM, as an operator stops it; killed if it does not end in time. */
    private static Run stop(Process launcher, Path dir) throws Exception {
        long t0 = System.nanoTime();
        launcher.destroy();
        if (!launcher.waitFor(40, TimeUnit.SECONDS)) {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("the launcher did not stop within 40 s of SIGTERM (killed): "
                    + Run.ended(dir, -1, (System.nanoTime() - t0) / 1_000_000).describe());
        }
        return Run.ended(dir, launcher.exitValue(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** Kills every process this JVM started (browser, driver, launcher) once {@link #DEADLINE} has passed. */
    private static ScheduledExecutorService watchdog() {
        ScheduledExecutorService w = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "web-page-it-watchdog");
            t.setDaemon(true);
            return t;
        });
        w.schedule(() -> {
            System.err.println("WebPageIT: past " + DEADLINE.toSeconds() + " s, killing the browser and the launcher");
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        }, DEADLINE.toSeconds(), TimeUnit.SECONDS);
        return w;
    }

}
