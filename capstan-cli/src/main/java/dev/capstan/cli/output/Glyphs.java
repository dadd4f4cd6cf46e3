package dev.capstan.cli.output;

import java.nio.charset.Charset;

/**
 * The symbols of console output, with ASCII stand-ins for a console whose encoding cannot show them
 * (a {@code C} locale), so that nothing turns into question marks.
 */
public record Glyphs(String task, String ok, String fail, String bar, String stderr, String rollback, String block,
                     String separator, String transfer, String ellipsis) {

    public static final Glyphs UNICODE = new Glyphs("▶", "✓", "✗", "│", "!", "↺", "▷", "·", "⇅", "…");
    public static final Glyphs ASCII = new Glyphs("*", "+", "x", "|", "!", "<<", ">", "-", "<>", "...");

    /** The Unicode glyphs when {@code charset} can encode them, else ASCII. */
    public static Glyphs forCharset(Charset charset) {
        return charset.newEncoder().canEncode("▶✓✗│↺▷·⇅…") ? UNICODE : ASCII;
    }
}
