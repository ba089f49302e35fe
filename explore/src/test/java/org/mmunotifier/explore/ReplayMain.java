package org.mmunotifier.explore;

/**
 * The fresh JVM of a replay check: runs one {@link Explore} test (with {@code -Dexplore.replay} on
 * its command line) and prints how it ended, the first failure's message after a line
 * {@value #FAILED}; exits 0 whatever the verdict, 2 on a bad command line.
 */
public final class ReplayMain {
    static final String FAILED = "--- replay failed:";
    static final String PASSED = "--- replay passed";

    private ReplayMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ReplayMain TEST_CLASS METHOD");
            System.exit(2);
        }
        Launch.Result r = Launch.run(Class.forName(args[0]), args[1]);
        if (r.failures().isEmpty()) {
            System.out.println(PASSED + " (" + r.passed() + " iterations)");
        } else {
            System.out.println(FAILED);
            System.out.println(r.failures().get(0).getMessage());
        }
        System.out.flush();
        System.exit(0); // Fray's helper threads are daemons, but do not wait for anything
    }
}
