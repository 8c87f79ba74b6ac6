package alloy.report;

import java.util.List;
import java.util.Objects;

/**
 * A small GitHub-flavoured Markdown writer: headings, paragraphs, bullet lists and pipe tables, with the text
 * escaped so that a candidate called {@code models[1].weight=0.5} or a parameter summary with a {@code |} in
 * it stays literal and the table keeps its columns.
 */
public final class Markdown {

    /** Column alignment in a table. */
    public enum Align { LEFT, RIGHT, CENTER }

    private final StringBuilder out = new StringBuilder();

    public Markdown heading(int level, String text) {
        if (level < 1 || level > 6) throw new IllegalArgumentException("heading level must be 1..6, got " + level);
        block();
        out.append("#".repeat(level)).append(' ').append(inline(text)).append('\n');
        return this;
    }

    /** A paragraph of plain text (escaped; line breaks inside become spaces). */
    public Markdown paragraph(String text) {
        block();
        out.append(leading(inline(text))).append('\n');
        return this;
    }

    /** A paragraph of Markdown written by the caller, not escaped (emphasis, links, code spans). */
    public Markdown raw(String markdown) {
        block();
        out.append(markdown.strip()).append('\n');
        return this;
    }

    public Markdown bullets(List<String> items) {
        if (items.isEmpty()) return this;
        block();
        for (String i : items) out.append("- ").append(leading(inline(i))).append('\n');
        return this;
    }

    /** A pipe table; every row must have as many cells as there are headers. */
    public Markdown table(List<String> headers, List<Align> align, List<List<String>> rows) {
        if (headers.isEmpty()) throw new IllegalArgumentException("a table needs at least one column");
        if (align.size() != headers.size()) throw new IllegalArgumentException(align.size() + " alignments for " + headers.size() + " columns");
        block();
        row(headers);
        StringBuilder rule = new StringBuilder("|");
        for (Align a : align) {
            rule.append(switch (a) {
                case LEFT -> " :--- |";
                case RIGHT -> " ---: |";
                case CENTER -> " :---: |";
            });
        }
        out.append(rule).append('\n');
        for (int i = 0; i < rows.size(); i++) {
            List<String> r = rows.get(i);
            if (r.size() != headers.size()) throw new IllegalArgumentException("table row " + (i + 1) + " has " + r.size() + " cells, expected " + headers.size());
            row(r);
        }
        return this;
    }

    /** A literal code span, with a fence long enough for the backticks inside it. */
    public static String code(String text) {
        int longest = 0, run = 0;
        for (char c : text.toCharArray()) {
            run = c == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(longest + 1);
        String pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
        return fence + pad + text + pad + fence;
    }

    /**
     * Text made literal in a paragraph or a table cell: Markdown's inline punctuation is backslash-escaped (a
     * {@code [} can no longer open a link, so {@code !} needs nothing), {@code |} too (it would end a cell), {@code <} and {@code &} become entities (no HTML gets in), and line breaks
     * become spaces (a table row is one line).
     */
    public static String inline(String text) {
        Objects.requireNonNull(text, "text");
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\', '`', '*', '_', '[', ']', '|', '~' -> sb.append('\\').append(c);
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '\r' -> { }
                case '\n' -> sb.append(' ');
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A line that starts like a list item or a heading underline would turn into one: escape its start. */
    private static String leading(String s) {
        if (s.startsWith("-") || s.startsWith("+") || s.startsWith("=") || s.startsWith("#") || s.startsWith(">")) return "\\" + s;
        int d = 0;
        while (d < s.length() && Character.isDigit(s.charAt(d))) d++;
        if (d > 0 && d < s.length() && (s.charAt(d) == '.' || s.charAt(d) == ')')) return s.substring(0, d) + "\\" + s.substring(d);
        return s;
    }

    private void row(List<String> cells) {
        out.append('|');
        for (String c : cells) out.append(' ').append(inline(c)).append(" |");
        out.append('\n');
    }

    private void block() {
        if (!out.isEmpty()) out.append('\n');
    }

    @Override public String toString() { return out.toString(); }
}
