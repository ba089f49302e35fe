package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;
import org.mmunotifier.itests.tiny.attaching.AttachingDriver;
import org.mmunotifier.itests.tiny.attaching.AttachingNotifier;
import org.mmunotifier.itests.tiny.faulty.FaultyDriver;

/**
 * The launcher as a user runs it: {@code java -jar mmunotifier.jar --scenario demo --seconds N} in a folder of its
 * own, stdin from nothing, as a child process (plain JUnit, not Pax Exam). A driver jar in {@code deploy/} whose
 * {@code invalidateRangeStart} blocks for ever (FileInstall installs it when it starts, next to a
 * {@code deploy/org.mmunotifier.core.watchdog.cfg} with small thresholds) makes the run fail with status 1 in
 * bounded time, its report naming the stall; without it the run passes.
 *
 * <p>It needs the jar the reactor built ({@code launcher/target/mmunotifier.jar}, system property
 * {@value #JAR_PROPERTY}); the itests module depends on the launcher module so that {@code mvn verify} builds it
 * first.
 */
public class LauncherScenarioIT {
    static final String JAR_PROPERTY = "itests.launcher.jar";
    private static final String FAULTY_BSN = "itests.faulty.stuck";
    private static final String ATTACHING_BSN = "itests.attaching";
    /** Past the run's own seconds: startup, the report, and a shutdown the core bounds. */
    private static final Duration GRACE = Duration.ofSeconds(40);
    private static final Pattern FRAME = Pattern.compile("\tat |\t\\.\\.\\. |Caused by: |\tSuppressed: ");
    private static final Pattern LEVEL = Pattern.compile("(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ");
    private static final Pattern THROWABLE = Pattern.compile("[\\w$.]+(Exception|Error|Throwable)(: .*)?");

    @Test
    public void aDriverStuckForEverFailsTheRunInBoundedTime() throws Exception {
        Path dir = runFolder("stuck");
        Path deploy = Files.createDirectories(dir.resolve("deploy"));
        try (InputStream jar = ItestSupport.faultyDriver(FAULTY_BSN, FaultyDriver.STUCK)) {
            Files.copy(jar, deploy.resolve(FAULTY_BSN + ".jar"));
        }
        Path cfg = writeCfg(deploy, ItestSupport.WATCHDOG_PID, "stallMillis=200", "giveUpMillis=2000");

        Run run = Run.of(dir, 5, "--scenario", "demo", "--seconds", "5");
        assertEquals(run.describe(), 1, run.status);
        assertTrue(run.describe(), run.stdout.contains("scenario demo: FAILED"));
        Matcher stalls = Pattern.compile("(?m)^\\s+stalls\\s+(\\d+)$").matcher(run.stdout);
        assertTrue("a stalls row: " + run.describe(), stalls.find());
        assertTrue(run.describe(), Long.parseLong(stalls.group(1)) >= 1);
        // "#1 callback: itests.faulty.stuck 1.0.0 [17] faulty stuck notifier of pid 3 (…) invalidate_range_start …"
        assertTrue("the stall, with the bundle and the callback: " + run.describe(), run.stdout.lines().anyMatch(
                l -> l.contains("callback: " + FAULTY_BSN + " 1.0.0 [") && l.contains("invalidate_range_start")));
        assertEquals("stack traces not printed by the log: " + run.describe(), List.of(), run.unloggedStackTraces());
        assertCfgUntouched(cfg, "stallMillis=200", "giveUpMillis=2000");
    }

    @Test
    public void aRunWithTheBuiltInDriversPasses() throws Exception {
        Path dir = runFolder("pass");
        // The defaults, written out: the run is the default one, and the files must be left as they are.
        Path watchdog = writeCfg(Files.createDirectories(dir.resolve("deploy")), ItestSupport.WATCHDOG_PID,
                "stallMillis=1000", "giveUpMillis=5000");
        Path kvm = writeCfg(dir.resolve("deploy"), "org.mmunotifier.drivers.kvm", "vcpus=2");
        Run run = Run.of(dir, 3, "--scenario", "demo", "--seconds", "3");
        assertEquals(run.describe(), 0, run.status);
        assertTrue(run.describe(), run.stdout.contains("scenario demo: PASSED"));
        assertTrue(run.describe(), run.stdout.contains("driver faults               0"));
        assertTrue(run.describe(), run.stdout.contains("stalls                      0"));
        assertEquals("stack traces: " + run.describe(), List.of(), run.unloggedStackTraces());
        assertCfgUntouched(watchdog, "stallMillis=1000", "giveUpMillis=5000");
        assertCfgUntouched(kvm, "vcpus=2");
    }

    /**
     * {@code --drivers} with a third-party driver jar from {@code deploy/} and KVM: the hotswap swaps both (the
     * deploy/ one re-attaching to the processes it finds), reports each, and passes; the same driver forgetting its
     * registrations when it stops makes the run fail on the forced cleanups.
     */
    @Test
    public void hotswapOfADeployDriverAndKvmPassesAndFailsWhenTheDriverLeaks() throws Exception {
        for (boolean leak : new boolean[] {false, true}) {
            Path dir = runFolder(leak ? "leaky" : "attaching");
            Path deploy = Files.createDirectories(dir.resolve("deploy"));
            try (InputStream jar = ItestSupport.tinyBundle(ATTACHING_BSN, Map.of(AttachingDriver.LEAK_HEADER,
                    String.valueOf(leak)), AttachingDriver.class, List.of(AttachingNotifier.class),
                    ItestSupport.API_IMPORT)) {
                Files.copy(jar, deploy.resolve(ATTACHING_BSN + ".jar"));
            }
            Run run = Run.of(dir, 4, "--scenario", "hotswap", "--seconds", "4", "--drivers",
                    "deploy/" + ATTACHING_BSN + ".jar,kvm");
            assertTrue(run.describe(), run.stdout.lines().anyMatch(l -> l.startsWith("[mmu] drivers: " + ATTACHING_BSN
                    + " 1.0.0 [") && l.contains(", org.mmunotifier.drivers.kvm ")));
            Matcher swaps = Pattern.compile("(?m)^\\s+swaps\\s+(\\d+) ").matcher(run.stdout);
            assertTrue(run.describe(), swaps.find() && Integer.parseInt(swaps.group(1)) >= 2);
            // its row: accesses (per second) / violations / faults / stalls / forced cleanups
            Matcher row = Pattern.compile("(?m)^\\s+" + Pattern.quote(ATTACHING_BSN)
                    + " 1\\.0\\.0 \\[\\d+\\]: \\d+ \\([\\d.]+[kM]?/s\\) / 0 / 0 / 0 / (\\d+)").matcher(run.stdout);
            assertTrue(run.describe(), run.stdout.lines().anyMatch(l -> l.matches("\\s+device work\\s+\\d+ accesses \\(.*/s\\),"
                    + " \\d+ faults \\(.*/s\\), \\d+ retries \\(.*/s\\)")));
            assertTrue("a row for the deploy/ driver: " + run.describe(), row.find());
            if (leak) {
                assertEquals(run.describe(), 1, run.status);
                assertTrue(run.describe(), run.stdout.contains("scenario hotswap: FAILED"));
                assertTrue(run.describe(), Integer.parseInt(row.group(1)) >= 1);
            } else {
                assertEquals(run.describe(), 0, run.status);
                assertTrue(run.describe(), run.stdout.contains("scenario hotswap: PASSED"));
                assertEquals(run.describe(), "0", row.group(1));
            }
            assertTrue(run.describe(), run.stdout.contains("replay                      java -jar mmunotifier.jar"
                    + " --scenario hotswap --seconds 4 --threads 2 --processes 4 --seed 1 --drivers deploy/"
                    + ATTACHING_BSN + ".jar,kvm"));
        }
    }

    /** {@code --drivers none}: the built-in drivers are stopped before the workload starts; the primary runs alone. */
    @Test
    public void driversNoneRunsThePrimaryAlone() throws Exception {
        Run run = Run.of(runFolder("none"), 3, "--scenario", "demo", "--seconds", "3", "--drivers", "none");
        assertEquals(run.describe(), 0, run.status);
        assertTrue(run.describe(), run.stdout.contains("[mmu] drivers: none (the primary alone)"));
        assertTrue(run.describe(), run.stdout.contains("scenario demo: PASSED"));
        assertFalse("no driver row: " + run.describe(), run.stdout.contains("org.mmunotifier.drivers.kvm 0."));
        // Not merely left out of the report: no device ran (a driver the start-level thread had not
        // started yet when the selection applied used to start after it and run all along).
        assertTrue(run.describe(), run.stdout.contains("device work                 0 accesses"));
    }

    /** A driver that does not exist is bad input: one line, status 2. */
    @Test
    public void anUnknownDriverIsRefused() throws Exception {
        Run run = Run.of(runFolder("unknown"), 3, "--scenario", "demo", "--seconds", "3", "--drivers", "kvm,nosuch");
        assertEquals(run.describe(), 2, run.status);
        assertTrue(run.describe(), run.stderr.contains("error: --drivers: no bundle 'nosuch'"));
    }

    /** {@code --help} prints the usage and exits 0; a bad argument is one line on stderr and status 2; no stack trace. */
    @Test
    public void helpAndBadArgumentsAreOneCleanAnswer() throws Exception {
        Run help = Run.of(runFolder("help"), 3, "--help");
        assertEquals(help.describe(), 0, help.status);
        assertTrue(help.describe(), help.stdout.startsWith("java -jar mmunotifier.jar [--scenario demo|hotswap]"));
        assertEquals(help.describe(), "", help.stderr);
        Run bad = Run.of(runFolder("bad"), 3, "--scenario", "nosuch");
        assertEquals(bad.describe(), 2, bad.status);
        assertEquals(bad.describe(), "error: unknown scenario 'nosuch': one of [demo, hotswap]", bad.stderr.strip());
        // Checked before the framework boots: it has not even created its storage.
        assertFalse(bad.describe(), Files.exists(bad.dir.resolve(".mmunotifier-cache")));
        assertFalse(help.describe(), Files.exists(help.dir.resolve(".mmunotifier-cache")));
    }

    /**
     * The operator log: a bad value in a {@code deploy/*.cfg} is one line on the console naming the PID, the key and
     * the value; a component that fails with an exception is one line too, its stack trace in {@code mmunotifier.log}.
     */
    @Test
    public void aBadConfigurationIsOneLineOnTheConsoleAndTheStackTraceGoesToTheLogFile() throws Exception {
        Path dir = runFolder("badcfg");
        Path deploy = Files.createDirectories(dir.resolve("deploy"));
        writeCfg(deploy, "org.mmunotifier.drivers.kvm", "vcpus=abc");
        writeCfg(deploy, "org.mmunotifier.drivers.gru", "attachAddress=0x6000_0001"); // not page aligned
        Run run = Run.of(dir, 3, "--scenario", "demo", "--seconds", "3");
        List<String> vcpus = run.stderr.lines().filter(l -> l.contains("vcpus")).toList();
        assertEquals(run.describe(), 1, vcpus.size());
        assertTrue(run.describe(), vcpus.get(0).matches("\\[mmu\\] WARN  org\\.mmunotifier\\.drivers\\.kvm \\[\\d+\\] KvmDriver:"
                + " org\\.mmunotifier\\.drivers\\.kvm: vcpus='abc' is not a whole number .*"));
        List<String> address = run.stderr.lines().filter(l -> l.contains("0x60000001")).toList();
        assertEquals(run.describe(), 1, address.size());
        assertTrue(run.describe(), address.get(0).startsWith("[mmu] ERROR org.mmunotifier.drivers.gru ["));
        assertTrue(run.describe(), address.get(0).endsWith("(stack trace in mmunotifier.log)"));
        assertFalse(run.describe(), run.stderr.contains("\tat "));
        assertFalse(run.describe(), run.stdout.contains("\tat "));
        String log = Files.readString(dir.resolve("mmunotifier.log"));
        assertTrue(log, log.contains("vcpus='abc'"));
        assertTrue(log, log.contains("0x60000001") && log.contains("\tat org.mmunotifier.api.AttachRegion"));
    }

    /** A second launcher in a working directory in use is refused, naming the first one's pid; the first runs on. */
    @Test
    public void aSecondLauncherInTheSameDirectoryIsRefused() throws Exception {
        Path dir = runFolder("twice");
        Process first = start(dir, List.of("-Dmmunotifier.status.seconds=0"));
        try {
            awaitOutput(first, dir, "[mmu] demo workload running");
            Path other = dir.resolve("second");
            Files.createDirectories(other);
            Process second = new ProcessBuilder(javaCommand(List.of(), "--scenario", "demo", "--seconds", "3"))
                    .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(other.resolve("stdout.txt").toFile()).redirectError(other.resolve("stderr.txt").toFile())
                    .start();
            assertTrue("the second launcher did not give up", second.waitFor(GRACE.toSeconds(), TimeUnit.SECONDS));
            String err = Run.read(other.resolve("stderr.txt"));
            assertEquals(err, 4, second.exitValue());
            assertTrue(err, err.startsWith("error: another mmunotifier launcher (pid " + first.pid() + " since "));
            assertEquals(err, 1, err.lines().count());
            assertTrue("the first launcher ended", first.isAlive());
            assertTrue(Files.isDirectory(dir.resolve(".mmunotifier-cache")));
        } finally {
            stop(first);
        }
    }

    /**
     * {@code stop <core>} from the shell stops the core alone: the framework and the shell keep running, {@code start}
     * brings the core back (with the demo workload and every driver attached), and {@code stop 0} then ends with 0.
     */
    @Test
    public void stoppingTheCoreAloneLeavesTheFrameworkRunning() throws Exception {
        Path dir = runFolder("core-stop");
        List<String> command = javaCommand(List.of("-Dmmunotifier.status.seconds=0"));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        try (java.io.Writer shell = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
            awaitOutput(p, dir, "[mmu] demo workload running");
            awaitOutput(p, dir, "g! ");
            shell.write("lb -s org.mmunotifier.core.impl\n");
            shell.flush();
            java.util.regex.Matcher id = awaitOutput(p, dir, Pattern.compile("(?m)^\\s*(\\d+)\\|Active\\s*\\|.*org\\.mmunotifier\\.core\\.impl"));
            String core = id.group(1);
            shell.write("stop " + core + "\n");
            shell.flush();
            awaitOutput(p, dir, "the core (bundle " + core + ") stopped; the framework keeps running");
            Thread.sleep(2_000);
            assertTrue("the launcher ended with the core: " + Run.read(dir.resolve("stderr.txt")), p.isAlive());
            shell.write("start " + core + "\n");
            shell.flush();
            awaitOutput(p, dir, Pattern.compile("(?s)keeps running.*\\[mmu\\] demo workload running"));
            shell.write("stop 0\n");
            shell.flush();
            assertTrue("stop 0 did not end the launcher", p.waitFor(GRACE.toSeconds(), TimeUnit.SECONDS));
            String out = Run.read(dir.resolve("stdout.txt"));
            String err = Run.read(dir.resolve("stderr.txt"));
            assertEquals(out + err, 0, p.exitValue());
            assertFalse(out + err, (out + err).contains("Exception"));
        } finally {
            stop(p);
        }
    }

    /** Waits (bounded) until the launcher's stdout contains {@code text}; fails if it ends first. */
    private static void awaitOutput(Process p, Path dir, String text) throws Exception {
        awaitOutput(p, dir, Pattern.compile(Pattern.quote(text)));
    }

    /** Waits (bounded) until the launcher's stdout matches {@code pattern}; fails if it ends first. */
    private static java.util.regex.Matcher awaitOutput(Process p, Path dir, Pattern pattern) throws Exception {
        long deadline = System.nanoTime() + GRACE.toNanos();
        while (System.nanoTime() < deadline) {
            java.util.regex.Matcher m = pattern.matcher(Run.read(dir.resolve("stdout.txt")));
            if (m.find()) {
                return m;
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        fail("no '" + pattern + "' from the launcher (" + (p.isAlive() ? "still running" : "exited " + p.exitValue())
                + "):\n" + Run.read(dir.resolve("stdout.txt")) + Run.read(dir.resolve("stderr.txt")));
        return null;
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: the shutdown hook stops the framework
        if (!p.waitFor(40, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /**
     * {@code --jfr FILE}: the run's JFR recording is written to FILE (relative to the working folder), with the
     * core's events of the run and the JDK's.
     */
    @Test
    public void jfrWritesARecordingOfTheRunWithTheCoresEvents() throws Exception {
        Path dir = runFolder("jfr");
        Run run = Run.of(dir, 3, "--scenario", "hotswap", "--seconds", "3", "--drivers", "kvm", "--jfr", "run.jfr");
        // Whether the run passed is the other tests' business (a loaded machine reports stalls): it has a report.
        assertTrue(run.describe(), run.stdout.contains("scenario hotswap: "));
        Path file = dir.toRealPath().resolve("run.jfr");
        assertTrue(run.describe(), run.stdout.contains("[mmu] JFR recording written to " + file + " ("));
        Map<String, Long> counts = new java.util.TreeMap<>();
        for (jdk.jfr.consumer.RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            boolean kvm = type.startsWith("org.mmunotifier.") && e.hasField("bundle")
                    && e.getString("bundle").startsWith("org.mmunotifier.drivers.kvm ");
            counts.merge(kvm ? type + " by kvm" : type, 1L, Long::sum);
        }
        for (String type : List.of("InvalidateRange by kvm", "Release by kvm", "DriverSwap by kvm", "DeviceFault")) {
            assertTrue(type + " in " + counts, counts.getOrDefault("org.mmunotifier." + type, 0L) > 0);
        }
        assertTrue("the JDK's own events too: " + counts, counts.getOrDefault("jdk.GarbageCollection", 0L)
                + counts.getOrDefault("jdk.CPULoad", 0L) > 0);
    }

    /** A {@code --jfr} file in a folder that does not exist: one line on stderr, status 2, nothing run. */
    @Test
    public void aJfrFileWhereNoneCanBeWrittenIsOneCleanAnswer() throws Exception {
        Path bad = runFolder("jfr-bad");
        Run refused = Run.of(bad, 3, "--scenario", "demo", "--seconds", "3", "--jfr", "nosuch/run.jfr");
        assertEquals(refused.describe(), 2, refused.status);
        assertEquals(refused.describe(), "error: --jfr 'nosuch/run.jfr': there is no folder "
                + bad.toRealPath().resolve("nosuch"), refused.stderr.strip());
    }

    /** A scenario given by system property (a CI job's way) runs to its report with stdin at /dev/null. */
    @Test
    public void aScenarioGivenByPropertyRunsHeadlessToItsReport() throws Exception {
        Run run = Run.withJvm(runFolder("property"), 3, List.of("-Dmmunotifier.scenario=demo",
                "-Dmmunotifier.seconds=3"));
        assertEquals(run.describe(), 0, run.status);
        assertTrue(run.describe(), run.stdout.contains("scenario demo: PASSED"));
    }

    /** The default run with stdin at /dev/null (nohup, systemd) keeps running until it is stopped. */
    @Test
    public void theDefaultRunWithoutATerminalKeepsRunning() throws Exception {
        Path dir = runFolder("headless");
        Process p = start(dir, List.of("-Dmmunotifier.status.seconds=1"));
        try {
            assertTrue("the launcher ended on its own: " + Run.read(dir.resolve("stdout.txt")) + Run.read(dir.resolve(
                    "stderr.txt")), !p.waitFor(8, TimeUnit.SECONDS));
            String out = Run.read(dir.resolve("stdout.txt"));
            assertTrue(out, out.contains("[mmu] demo workload running"));
            assertFalse("-Dmmunotifier.web=false: no web page: " + out, out.contains("web page at"));
        } finally {
            stop(p);
        }
    }

    private static Path writeCfg(Path deploy, String pid, String... lines) throws IOException {
        return Files.write(deploy.resolve(pid + ".cfg"), List.of(lines), StandardCharsets.ISO_8859_1);
    }

    /**
     * A .cfg file the run read is still there with its settings (FileInstall writes configurations back to their
     * files, and may reformat them, but must not lose them).
     */
    private static void assertCfgUntouched(Path cfg, String... lines) throws IOException {
        String text = Files.readString(cfg, StandardCharsets.ISO_8859_1);
        for (String line : lines) {
            String[] kv = line.split("=", 2);
            assertTrue(cfg.getFileName() + " lost " + line + "; now " + text.length() + " bytes: '" + text + "'",
                    Pattern.compile("(?m)^\\s*" + Pattern.quote(kv[0]) + "\\s*[=:]\\s*(\"|L\\s*\"|)"
                            + Pattern.quote(kv[1])).matcher(text).find());
        }
    }

    /** A new folder under {@code target/itest-work/launcher/}, kept for a look after the build. */
    static Path runFolder(String what) throws IOException {
        return Files.createTempDirectory(Files.createDirectories(ItestSupport.workDir().resolve("launcher")), what + "-");
    }

    /**
     * The launcher started in {@code dir}, stdin from /dev/null, output to {@code stdout.txt}/{@code stderr.txt}. Its
     * web page is off unless {@code jvm} sets it up: these runs are not about it (WebPageIT is), and must not depend
     * on its port being free.
     */
    static Process start(Path dir, List<String> jvm, String... args) throws IOException {
        return new ProcessBuilder(javaCommand(jvm, args)).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile())
                .start();
    }

    private static List<String> javaCommand(List<String> jvm, String... args) {
        Path jar = Paths.get(System.getProperty(JAR_PROPERTY, "../launcher/target/mmunotifier.jar"))
                .toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no launcher jar " + jar + " (built by the launcher module)");
        }
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        if (jvm.stream().noneMatch(o -> o.startsWith("-Dmmunotifier.web=") || o.startsWith("-D" + WebPageIT.PORT + "="))) {
            command.add("-Dmmunotifier.web=false");
        }
        command.addAll(jvm);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        return command;
    }

    /** One run of the launcher, to its end. */
    static final class Run {
        final Path dir;
        final int status;
        final long millis;
        final String stdout;
        final String stderr;

        private Run(Path dir, int status, long millis, String stdout, String stderr) {
            this.dir = dir;
            this.status = status;
            this.millis = millis;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        /** A run of the launcher in {@code dir} that has ended with {@code status}, as its output files have it. */
        static Run ended(Path dir, int status, long millis) throws IOException {
            return new Run(dir, status, millis, read(dir.resolve("stdout.txt")), read(dir.resolve("stderr.txt")));
        }

        /**
         * Runs the launcher in {@code dir} with {@code args}, stdin from nothing, and waits for it at most
         * {@code seconds} plus {@link #GRACE}; past that it is killed and the test fails.
         */
        static Run of(Path dir, int seconds, String... args) throws Exception {
            return withJvm(dir, seconds, List.of(), args);
        }

        /** As {@link #of}, with options for the JVM ({@code -Dmmunotifier.scenario=demo}, say). */
        static Run withJvm(Path dir, int seconds, List<String> jvm, String... args) throws Exception {
            Path out = dir.resolve("stdout.txt");
            Path err = dir.resolve("stderr.txt");
            Process p = start(dir, jvm, args);
            long t0 = System.nanoTime();
            long bound = seconds + GRACE.toSeconds();
            if (!p.waitFor(bound, TimeUnit.SECONDS)) {
                String threads = threadDump(p, dir.resolve("threads.txt"));
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("the launcher did not exit within " + bound + " s (killed; threads in " + dir.resolve("threads.txt")
                        + "):\n" + threads + "\n" + new Run(dir, -1, (System.nanoTime() - t0) / 1_000_000, read(out),
                                read(err)).describe());
            }
            Run run = new Run(dir, p.exitValue(), (System.nanoTime() - t0) / 1_000_000, read(out), read(err));
            System.out.println("LauncherScenarioIT: " + String.join(" ", args) + " in " + dir.getFileName()
                    + ": exit status " + run.status + " after " + run.millis + " ms");
            return run;
        }

        /**
         * The threads of {@code p} (jcmd Thread.print, into {@code file}); returned: those of the launcher's own
         * threads ({@code mmunotifier-*}) and the drivers' device threads that are blocked or waiting.
         */
        private static String threadDump(Process p, Path file) {
            Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
            try {
                Process d = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print")
                        .redirectErrorStream(true).redirectOutput(file.toFile()).start();
                if (!d.waitFor(20, TimeUnit.SECONDS)) {
                    d.destroyForcibly();
                }
                StringBuilder b = new StringBuilder();
                for (String thread : Files.readString(file).split("\n\n")) {
                    if ((thread.startsWith("\"mmunotifier-") || thread.startsWith("\"gru-")
                            || thread.startsWith("\"rdma-") || thread.startsWith("\"workload-"))
                            && !thread.contains("java.lang.Thread.State: RUNNABLE")) {
                        b.append(thread.lines().limit(14).reduce((x, y) -> x + "\n" + y).orElse("")).append("\n");
                    }
                }
                return b.toString();
            } catch (IOException | RuntimeException e) {
                return "(no thread dump: " + e + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "(no thread dump: interrupted)";
            }
        }

        static String read(Path file) throws IOException {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        }

        /**
         * Stack frames ({@code \tat …}) on stdout or stderr that are not part of a log record, and uncaught
         * exceptions. The JDK's console log prints a record as a header line, {@code LEVEL: message} (more lines,
         * indented, for a long message) and then the throwable's stack, if any; a stack that follows anything
         * else was printed by someone else.
         */
        List<String> unloggedStackTraces() {
            List<String> out = new ArrayList<>();
            for (String text : List.of(stdout, stderr)) {
                String previous = "";
                boolean inRecord = false;
                for (String l : text.split("\r?\n")) {
                    if (l.startsWith("Exception in thread ")) {
                        out.add(l);
                        inRecord = false;
                    } else if (FRAME.matcher(l).lookingAt()) {
                        if (!inRecord) {
                            out.add(previous + " / " + l);
                        }
                    } else if (LEVEL.matcher(l).lookingAt()) {
                        inRecord = true;
                    } else if (!l.isEmpty() && !Character.isWhitespace(l.charAt(0)) && !THROWABLE.matcher(l).matches()) {
                        inRecord = false;
                    }
                    previous = l;
                }
            }
            return out;
        }

        String describe() {
            return "run in " + dir + " exited " + status + " after " + millis + " ms\n--- stdout\n" + stdout
                    + "--- stderr\n" + tail(stderr, 8_000);
        }

        private static String tail(String s, int max) {
            return s.length() <= max ? s : "…" + s.substring(s.length() - max);
        }
    }
}
