package org.mmunotifier.core.internal.mm;

import java.time.Duration;
import org.mmunotifier.api.page.PageLayout;

/**
 * Runs the workload on a bare machine (no drivers) and prints the result, for measuring the memory
 * manager alone: {@code java -cp core.api/target/classes:core.impl/target/classes
 * org.mmunotifier.core.internal.mm.WorkloadMain [seconds] [threads] [processes] [frames] [seed]}.
 */
public final class WorkloadMain {
    private WorkloadMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        String[] names = {"seconds", "threads", "processes", "frames", "seed"};
        long[] v = {10, 2, 8, 4096, 1};
        if (args.length > v.length) {
            usage("too many arguments");
        }
        for (int i = 0; i < args.length; i++) {
            try {
                v[i] = Long.parseLong(args[i]);
            } catch (NumberFormatException e) {
                usage(names[i] + " must be a number, not '" + args[i] + "'");
            }
            if (v[i] <= 0 && i < 4) {
                usage(names[i] + " must be positive, not " + v[i]);
            }
        }
        try (Machine machine = new Machine((int) v[3], PageLayout.BITS_64)) {
            Workload w = new Workload(machine, new Workload.Config(v[4], (int) v[1], (int) v[2], (int) v[2]),
                    new Workload.Listener() { });
            Workload.Result r = w.run(Long.MAX_VALUE, Duration.ofSeconds(v[0]));
            w.close();
            System.out.println(r);
            System.out.println("frames in use after every process exited: " + machine.memory().usedCount());
        }
    }

    private static void usage(String problem) {
        System.err.println("error: " + problem);
        System.err.println("usage: WorkloadMain [seconds] [threads] [processes] [frames] [seed]");
        System.exit(2);
    }
}
