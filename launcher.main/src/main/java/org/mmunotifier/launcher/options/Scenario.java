package org.mmunotifier.launcher.options;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A run the launcher is asked for on its command line (or by system properties of the same
 * names, {@code mmunotifier.scenario} …): {@code --scenario demo|hotswap --seconds N
 * [--threads T] [--processes P] [--seed S] [--adversary A] [--drivers D,…]}; {@code A} (0..1,
 * default 0) is the adversary's probability both of racing a device's fault and of stalling an
 * invalidation; {@code D} selects the drivers that run (and, in {@code hotswap}, are swapped):
 * {@code kvm}, {@code rdma}, {@code gru}, a bundle's symbolic name (one FileInstall installs from
 * {@code deploy/}, say), or a path to a bundle jar; {@code none} runs the primary alone. Without
 * it, every driver bundle runs. {@code --jfr FILE} records the run with JFR (the JDK's default
 * events and all of the core's) and writes the recording to {@code FILE} at the end.
 *
 * @param drivers the selection as given, or null for every driver bundle; empty for none
 * @param jfr where the run's JFR recording goes, or null for none
 */
public record Scenario(String name, Duration duration, int threads, int processes, long seed, double adversary,
        List<String> drivers, Path jfr) {
    public static final List<String> NAMES = List.of("demo", "hotswap");
    /** Bounds of the workload's threads and processes, here and in {@code mmu:demo start}. */
    public static final int MAX_THREADS = 64;
    public static final int MAX_PROCESSES = 1024;
    /** The demo workload's defaults, here and in the launcher's default run and {@code mmu:demo}. */
    public static final int THREADS = 2;
    public static final int PROCESSES = 4;
    public static final long SEED = 1;
    public static final String USAGE = "usage: [--scenario demo|hotswap] [--seconds N] [--threads T] [--processes P] [--seed S]"
            + " [--adversary 0..1] [--drivers none|kvm,rdma,gru,<symbolic name>,<bundle.jar>] [--jfr FILE]";

    /** A scenario with every driver bundle. */
    public Scenario(String name, Duration duration, int threads, int processes, long seed, double adversary) {
        this(name, duration, threads, processes, seed, adversary, null);
    }

    /** A scenario without a JFR recording. */
    public Scenario(String name, Duration duration, int threads, int processes, long seed, double adversary,
            List<String> drivers) {
        this(name, duration, threads, processes, seed, adversary, drivers, null);
    }

    /** {@code --help} (or {@code -h}) was given: print {@link #HELP} and exit 0. */
    public static final class HelpRequested extends RuntimeException {
        HelpRequested() {
            super("--help", null, false, false);
        }
    }

    /** What {@code --help} prints. */
    public static final String HELP = usageLine() + "\n"
            + "  (no option)        the default run: the demo workload with every driver, the Gogo shell ('help mmu')\n"
            + "  --scenario NAME    demo, or hotswap (the drivers stopped, started and updated all along)\n"
            + "  --seconds N        how long the scenario runs (30)\n"
            + "  --threads T        workload threads (2); --processes P: processes (4); --seed S: the seed (1)\n"
            + "  --adversary A      probability 0..1 of racing each device fault and stalling each invalidation (0)\n"
            + "  --drivers D,...    kvm, rdma, gru, a symbolic name or a bundle jar; none for the primary alone\n"
            + "  --jfr FILE         record the run with JFR (the core's events too) into FILE; jfr print reads it\n"
            + "Exit status: 0 passed, 1 failed, 2 bad arguments, 3 a stuck driver held the shutdown up.\n"
            + "The same options as system properties: -Dmmunotifier.scenario=demo -Dmmunotifier.seconds=30 ...\n"
            + "The status page: http://127.0.0.1:8080/ (-Dorg.osgi.service.http.port=N; -Dmmunotifier.web=false: none).";

    private static String usageLine() {
        return "java -jar mmunotifier.jar " + USAGE.substring("usage: ".length());
    }

    /** Property names are {@code mmunotifier.<option>}; the command line wins. */
    public interface Properties {
        String get(String name);
    }

    /**
     * @return null for the default (interactive) run
     * @throws IllegalArgumentException naming the bad argument
     */
    public static Scenario parse(List<String> args, Properties props) {
        String name = props.get("mmunotifier.scenario");
        String seconds = props.get("mmunotifier.seconds");
        String threads = props.get("mmunotifier.threads");
        String processes = props.get("mmunotifier.processes");
        String seed = props.get("mmunotifier.seed");
        String adversary = props.get("mmunotifier.adversary");
        String drivers = props.get("mmunotifier.drivers");
        String jfr = props.get("mmunotifier.jfr");
        if (args.contains("--help") || args.contains("-h")) {
            throw new HelpRequested();
        }
        for (int i = 0; i < args.size(); i++) {
            String opt = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException("option '" + opt + "' needs a value; " + USAGE);
            }
            String v = args.get(++i);
            switch (opt) {
                case "--scenario" -> name = v;
                case "--seconds" -> seconds = v;
                case "--threads" -> threads = v;
                case "--processes" -> processes = v;
                case "--seed" -> seed = v;
                case "--adversary" -> adversary = v;
                case "--drivers" -> drivers = v;
                case "--jfr" -> jfr = v;
                default -> throw new IllegalArgumentException("unknown option '" + opt + "'; " + USAGE);
            }
        }
        if (name == null) {
            if (seconds != null || adversary != null || drivers != null || jfr != null) {
                throw new IllegalArgumentException((seconds != null ? "--seconds" : adversary != null ? "--adversary"
                        : drivers != null ? "--drivers" : "--jfr") + " needs --scenario; " + USAGE);
            }
            return null;
        }
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown scenario '" + name + "': one of " + NAMES);
        }
        if (name.equals("hotswap") && drivers != null && drivers.strip().equals("none")) {
            throw new IllegalArgumentException("hotswap needs a driver to swap, not --drivers none");
        }
        return new Scenario(name, Duration.ofSeconds(Numbers.number("seconds", seconds, 30, 1, 86_400)),
                (int) Numbers.number("threads", threads, THREADS, 1, MAX_THREADS),
                (int) Numbers.number("processes", processes, PROCESSES, 1, MAX_PROCESSES),
                Numbers.number("seed", seed, SEED, Long.MIN_VALUE, Long.MAX_VALUE), adversary == null ? 0 : Numbers.probability("adversary", adversary),
                drivers == null ? null : drivers(drivers), jfr == null ? null : jfrFile(jfr));
    }

    private static Path jfrFile(String text) {
        try {
            return OutputFile.check(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--jfr " + e.getMessage());
        }
    }

    /** {@code none}, or driver names separated by commas, each once. */
    private static List<String> drivers(String text) {
        List<String> names = java.util.Arrays.stream(text.split(",", -1)).map(String::strip).toList();
        if (names.equals(List.of("none"))) {
            return List.of();
        }
        for (String n : names) {
            if (n.isEmpty() || n.equals("none")) {
                throw new IllegalArgumentException("--drivers '" + text + "': " + (n.isEmpty() ? "an empty name"
                        : "'none' with other drivers") + "; give none, or names and jars separated by commas");
            }
        }
        if (new java.util.HashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("--drivers '" + text + "' names a driver twice");
        }
        return names;
    }
}
