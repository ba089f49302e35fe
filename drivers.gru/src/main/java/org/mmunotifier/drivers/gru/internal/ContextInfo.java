package org.mmunotifier.drivers.gru.internal;

/**
 * One GRU context as the {@code gru} commands show it: its id, the mm it works on, the mm's ASID,
 * and the buffer {@code [start, end)} its instructions use.
 */
public record ContextInfo(int id, long mm, int asid, String start, String end) {

    static ContextInfo of(GruContext ctx) {
        return new ContextInfo(ctx.id(), ctx.mm().id(), ctx.asid(), "0x" + Long.toHexString(ctx.start),
                "0x" + Long.toHexString(ctx.end));
    }
}
