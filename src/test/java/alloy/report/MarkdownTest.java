package alloy.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class MarkdownTest {

    @Test
    void tablesAlignAndKeepTheirColumns() {
        String md = new Markdown().heading(1, "Board *draft*")
                .paragraph("Ranked on held-out; see [notes].")
                .table(List.of("#", "candidate", "score"), List.of(Markdown.Align.RIGHT, Markdown.Align.LEFT, Markdown.Align.CENTER),
                        List.of(List.of("1", "models[1].weight=0.5", "0.967 [0.917, 1.000]"), List.of("2", "a|b\nc", "x_y*z")))
                .toString();
        assertEquals("""
                # Board \\*draft\\*

                Ranked on held-out; see \\[notes\\].

                | # | candidate | score |
                | ---: | :--- | :---: |
                | 1 | models\\[1\\].weight=0.5 | 0.967 \\[0.917, 1.000\\] |
                | 2 | a\\|b c | x\\_y\\*z |
                """, md);
    }

    @Test
    void textStaysLiteral() {
        assertEquals("&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\`code\\`", Markdown.inline("<script>alert(1)</script> & `code`"));
        assertEquals("\\\\ # ! \\~", Markdown.inline("\\ # ! ~"));
        String md = new Markdown().paragraph("1. not a list").paragraph("- nor this").paragraph("# nor a heading").bullets(List.of("+ item")).toString();
        assertEquals("1\\. not a list\n\n\\- nor this\n\n\\# nor a heading\n\n- \\+ item\n", md);
        assertEquals("`a`", Markdown.code("a"));
        assertEquals("`` a`b ``".replace(" a", "a").replace("b ", "b"), Markdown.code("a`b"));
        assertEquals("`` `x` ``", Markdown.code("`x`"));
    }

    @Test
    void badTablesAreRefused() {
        Markdown m = new Markdown();
        assertThrows(IllegalArgumentException.class, () -> m.table(List.of("a", "b"), List.of(Markdown.Align.LEFT, Markdown.Align.LEFT), List.of(List.of("1"))));
        assertThrows(IllegalArgumentException.class, () -> m.table(List.of("a"), List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> m.heading(7, "x"));
    }
}
