package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The interval tree against a brute-force list, and the cost of a stabbing query. */
class IntervalTreeTest {

    static final class Iv extends IntervalTree.Node {
        Iv(long start, long last) {
            super(start, last);
        }

        @Override
        public String toString() {
            return "[" + start + "," + last + "]";
        }
    }

    private static List<Iv> hits(IntervalTree<Iv> t, long s, long l) {
        List<Iv> out = new ArrayList<>();
        t.forEachIntersecting(s, l, n -> out.add(n));
        return out;
    }

    @Test
    void agreesWithBruteForceUnderRandomInsertsAndRemoves() {
        Random rnd = new Random(42);
        IntervalTree<Iv> tree = new IntervalTree<>();
        List<Iv> all = new ArrayList<>();
        for (int step = 0; step < 20_000; step++) {
            if (all.isEmpty() || rnd.nextInt(3) != 0) {
                long s = rnd.nextInt(10_000);
                Iv iv = new Iv(s, s + rnd.nextInt(200));
                tree.insert(iv);
                all.add(iv);
            } else {
                tree.remove(all.remove(rnd.nextInt(all.size())));
            }
            if (step % 97 == 0) {
                long s = rnd.nextInt(10_000);
                long l = s + rnd.nextInt(300);
                List<Iv> expected = all.stream().filter(iv -> iv.start <= l && iv.last >= s)
                        .sorted((a, b) -> Long.compare(a.start, b.start)).toList();
                List<Iv> got = hits(tree, s, l);
                assertEquals(expected.size(), got.size(), "query [" + s + "," + l + "]");
                assertTrue(got.containsAll(expected));
                for (int i = 1; i < got.size(); i++) {
                    assertTrue(got.get(i - 1).start <= got.get(i).start, "not in start order");
                }
                assertEquals(!expected.isEmpty(), tree.anyIntersecting(s, l));
                assertEquals(all.size(), tree.size());
            }
        }
    }

    @Test
    void aWalkCanStopEarly() {
        IntervalTree<Iv> tree = new IntervalTree<>();
        for (int i = 0; i < 100; i++) {
            tree.insert(new Iv(i * 10L, i * 10L + 5));
        }
        int[] visited = new int[1];
        boolean finished = tree.forEachIntersecting(0, 1_000, n -> ++visited[0] < 3);
        assertEquals(false, finished);
        assertEquals(3, visited[0]);
    }

    @Test
    void staysShallowEvenWhenIntervalsArriveInAddressOrder() {
        // Drivers insert in address order; an unbalanced tree would become a list and every
        // invalidation would walk all of it. A query costs O(height + hits).
        IntervalTree<Iv> tree = new IntervalTree<>();
        for (int i = 0; i < 100_000; i++) {
            tree.insert(new Iv(i * 10L, i * 10L + 9));
        }
        int log2 = 64 - Long.numberOfLeadingZeros(100_000);
        assertTrue(tree.height() <= 4 * log2, "height " + tree.height() + " for 100 000 intervals");
        List<Iv> hits = hits(tree, 500_000, 500_099);
        assertEquals(10, hits.size());
    }
}
