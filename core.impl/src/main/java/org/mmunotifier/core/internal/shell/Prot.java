package org.mmunotifier.core.internal.shell;

import org.mmunotifier.core.internal.mm.Vma;

/** Protection bits as an operator types them. */
final class Prot {
    private Prot() {
    }

    /**
     * {@code none}, or some of {@code r}, {@code w}, {@code x} ({@code -} ignored: {@code r-x}).
     *
     * @throws IllegalArgumentException naming the text if it has any other character
     */
    static int parse(String text) {
        if (text.equals("none") || text.equals("---")) {
            return Vma.PROT_NONE;
        }
        int prot = 0;
        for (char c : text.toCharArray()) {
            switch (c) {
                case 'r' -> prot |= Vma.PROT_READ;
                case 'w' -> prot |= Vma.PROT_WRITE;
                case 'x' -> prot |= Vma.PROT_EXEC;
                case '-' -> { }
                default -> throw new IllegalArgumentException("malformed protection '" + text
                        + "': use none or letters of rwx");
            }
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty protection: use none or letters of rwx");
        }
        return prot;
    }
}
