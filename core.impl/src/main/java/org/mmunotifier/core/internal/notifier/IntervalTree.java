package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * An interval tree over closed intervals {@code [start, last]} ({@code interval_tree.h}): a treap
 * ordered by (start, insertion number) whose nodes carry the largest {@code last} of their subtree,
 * so a stabbing query visits O(log n + hits) nodes. Not thread-safe: the owner serialises updates
 * and keeps readers out while it changes the tree.
 *
 * @param <N> the node type (the subscription itself, as {@code struct interval_tree_node} is
 *            embedded in {@code struct mmu_interval_notifier})
 */
final class IntervalTree<N extends IntervalTree.Node> {
    private static final AtomicLong ORDER = new AtomicLong();

    /** A tree node; embed by extension. */
    abstract static class Node {
        final long start;
        final long last;
        private final long order = ORDER.incrementAndGet();
        private final int priority = ThreadLocalRandom.current().nextInt();
        long subtreeLast;
        Node left;
        Node right;
        boolean inTree;

        Node(long start, long last) {
            if (last < start) {
                throw new IllegalArgumentException("interval [" + start + ", " + last + "] is inverted");
            }
            this.start = start;
            this.last = last;
        }

        /** {@code !RB_EMPTY_NODE}: whether the node is in a tree now. */
        final boolean inTree() {
            return inTree;
        }

        private int compareTo(Node o) {
            int c = Long.compare(start, o.start);
            return c != 0 ? c : Long.compare(order, o.order);
        }

        private void update() {
            long m = last;
            if (left != null && left.subtreeLast > m) {
                m = left.subtreeLast;
            }
            if (right != null && right.subtreeLast > m) {
                m = right.subtreeLast;
            }
            subtreeLast = m;
        }
    }

    private Node root;
    private int size;

    int size() {
        return size;
    }

    /** Levels from the root to the deepest leaf: O(log n) expected for a treap. */
    int height() {
        return height(root);
    }

    private static int height(Node n) {
        return n == null ? 0 : 1 + Math.max(height(n.left), height(n.right));
    }

    void insert(N node) {
        if (node.inTree) {
            throw new IllegalStateException("node is in a tree already");
        }
        node.left = node.right = null;
        node.subtreeLast = node.last;
        root = insert(root, node);
        node.inTree = true;
        size++;
    }

    void remove(N node) {
        if (!node.inTree) {
            throw new IllegalStateException("node is not in the tree");
        }
        root = remove(root, node);
        node.inTree = false;
        node.left = node.right = null;
        size--;
    }

    /** Whether some interval intersects {@code [start, last]}. */
    boolean anyIntersecting(long start, long last) {
        Node n = root;
        while (n != null) {
            if (n.subtreeLast < start) {
                return false;
            }
            if (n.start <= last && n.last >= start) {
                return true;
            }
            // If the left subtree reaches start, it holds a hit or nothing does: its interval that
            // reaches start must then begin after last, and so does everything to the right.
            if (n.left != null && n.left.subtreeLast >= start) {
                n = n.left;
            } else if (n.start <= last) {
                n = n.right;
            } else {
                return false;
            }
        }
        return false;
    }

    /**
     * Calls {@code visitor} for every interval intersecting {@code [start, last]} in start order,
     * stopping early when it returns false.
     *
     * @return false if the visitor stopped the walk
     */
    @SuppressWarnings("unchecked")
    boolean forEachIntersecting(long start, long last, Predicate<? super N> visitor) {
        return walk(root, start, last, (Predicate<Node>) visitor);
    }

    private static boolean walk(Node n, long start, long last, Predicate<Node> visitor) {
        while (n != null && n.subtreeLast >= start) {
            if (!walk(n.left, start, last, visitor)) {
                return false;
            }
            if (n.start > last) {
                return true; // everything to the right starts later still
            }
            if (n.last >= start && !visitor.test(n)) {
                return false;
            }
            n = n.right;
        }
        return true;
    }

    private static Node insert(Node t, Node node) {
        if (t == null) {
            return node;
        }
        if (node.compareTo(t) < 0) {
            t.left = insert(t.left, node);
            if (t.left.priority > t.priority) {
                t = rotateRight(t);
            }
        } else {
            t.right = insert(t.right, node);
            if (t.right.priority > t.priority) {
                t = rotateLeft(t);
            }
        }
        t.update();
        return t;
    }

    private static Node remove(Node t, Node node) {
        if (t == null) {
            throw new IllegalStateException("node marked in tree but not found");
        }
        int c = node.compareTo(t);
        if (c < 0) {
            t.left = remove(t.left, node);
        } else if (c > 0) {
            t.right = remove(t.right, node);
        } else {
            return merge(t.left, t.right);
        }
        t.update();
        return t;
    }

    private static Node merge(Node a, Node b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (a.priority > b.priority) {
            a.right = merge(a.right, b);
            a.update();
            return a;
        }
        b.left = merge(a, b.left);
        b.update();
        return b;
    }

    private static Node rotateRight(Node t) {
        Node l = t.left;
        t.left = l.right;
        l.right = t;
        t.update();
        l.update();
        return l;
    }

    private static Node rotateLeft(Node t) {
        Node r = t.right;
        t.right = r.left;
        r.left = t;
        t.update();
        r.update();
        return r;
    }
}
