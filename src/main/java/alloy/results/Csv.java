package alloy.results;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 CSV, as the results files use it: fields with a comma, a quote, a line break or edge spaces are
 * quoted and quotes doubled; lines end with \n. Recipes' parameter summaries and model paths contain commas
 * and quotes, so the reader is a real parser that keeps the line each record starts on for its errors, not a
 * split on commas.
 */
final class Csv {
    private Csv() {}

    /** A parsed record: the 1-based line it starts on, its fields, and whether a line break ended it. */
    record Record(int line, List<String> fields, boolean terminated) {}

    static String line(List<String> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(field(fields.get(i)));
        }
        return sb.append('\n').toString();
    }

    static String field(String s) {
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
                || (!s.isEmpty() && (Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1))));
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /**
     * The shortest plain decimal that reads back as the same double ({@code 0.975}, {@code 1}, {@code 0.0001}):
     * readable in a spreadsheet and exact in a round trip. NaN is written as an empty field.
     */
    static String number(double v) {
        if (Double.isNaN(v)) return "";
        if (Double.isInfinite(v)) return v > 0 ? "Infinity" : "-Infinity";
        if (v == 0) return "0";
        String plain = BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        // Far from 1 the plain form grows long (1e-300); Java's own form is then shorter and reads back the same.
        return plain.length() <= 24 ? plain : Double.toString(v);
    }

    /** Parses {@code text} (the contents of {@code file}, for errors); blank lines between records are skipped. */
    static List<Record> parse(Path file, String text) {
        List<Record> out = new ArrayList<>();
        int i = 0, line = 1, n = text.length();
        if (n > 0 && text.charAt(0) == '\uFEFF') i = 1;
        while (i < n) {
            int start = line;
            List<String> fields = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            int lineStart = i;
            boolean terminated = false;
            while (true) {
                if (i >= n) { fields.add(f.toString()); break; }
                char ch = text.charAt(i);
                if (ch == '"' && f.isEmpty() && (i == lineStart || text.charAt(i - 1) == ',')) {
                    // Quoted field: runs to the next lone quote, across line breaks.
                    int openLine = line, openCol = i - lineStart + 1;
                    i++;
                    while (true) {
                        if (i >= n) throw new ResultsFileException(file, openLine, openCol, "quoted field is never closed");
                        char c = text.charAt(i);
                        if (c == '"') {
                            if (i + 1 < n && text.charAt(i + 1) == '"') { f.append('"'); i += 2; continue; }
                            i++;
                            break;
                        }
                        if (c == '\n') { line++; lineStart = i + 1; }
                        f.append(c);
                        i++;
                    }
                    if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                        throw new ResultsFileException(file, line, i - lineStart + 1, "text after a closing quote (a quote inside a field must be doubled)");
                    }
                    continue;
                }
                if (ch == '"') throw new ResultsFileException(file, line, i - lineStart + 1, "quote inside an unquoted field (quote the field and double the quote)");
                if (ch == ',') { fields.add(f.toString()); f.setLength(0); i++; continue; }
                if (ch == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') i++;
                if (text.charAt(i) == '\n' || ch == '\r') {
                    fields.add(f.toString());
                    i++;
                    line++;
                    terminated = true;
                    break;
                }
                f.append(ch);
                i++;
            }
            if (fields.size() == 1 && fields.get(0).isEmpty()) continue;
            out.add(new Record(start, List.copyOf(fields), terminated));
        }
        return out;
    }
}
