package org.mmunotifier.core.internal.util;

import java.util.Arrays;

/** Copy-on-write arrays: the lists that readers walk without a lock while a writer replaces them. */
public final class CopyOnWrite {
    private CopyOnWrite() {
    }

    /** A copy of {@code array} with {@code e} appended. */
    public static <T> T[] with(T[] array, T e) {
        T[] next = Arrays.copyOf(array, array.length + 1);
        next[array.length] = e;
        return next;
    }

    /** A copy of {@code array} without its element {@code e} (by identity), or null if {@code e} is not in it. */
    public static <T> T[] without(T[] array, T e) {
        for (int i = 0; i < array.length; i++) {
            if (array[i] == e) {
                T[] next = Arrays.copyOf(array, array.length - 1);
                System.arraycopy(array, i + 1, next, i, array.length - i - 1);
                return next;
            }
        }
        return null;
    }
}
