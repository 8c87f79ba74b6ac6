package alloy.eval.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.BertRealModels;
import alloy.eval.model.TextTokenizer;
import alloy.io.CheckpointException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TextTokenizer on the real bge tokenizer.json, and TokenizedTexts' batching order. */
class TokenizationTest {

    private static Path tokenizerJson() { return BertRealModels.testDir(BertRealModels.BGE).resolve("tokenizer.json"); }

    @Test void encoderInputsHaveSpecialTokensAndArePaddedToTheLongest() {
        try (TextTokenizer t = TextTokenizer.open(tokenizerJson(), TextTokenizer.Options.encoder(512))) {
            assertEquals(0, t.padId());
            TextTokenizer.Batch b = t.batch(List.of("Hello world", "Hi"));
            assertArrayEquals(new long[] {101, 7592, 2088, 102}, b.ids()[0]);
            assertArrayEquals(new long[] {101, 7632, 102, 0}, b.ids()[1]);
            assertArrayEquals(new long[] {1, 1, 1, 0}, b.attentionMask()[1]);
            assertArrayEquals(new long[] {0, 0, 0, 0}, b.typeIds()[0]);
            assertEquals(3, b.tokens(1));
            assertArrayEquals(new long[] {101, 7592, 2088, 102, 101, 7632, 102, 0}, b.flatIds());
        }
    }

    @Test void truncationKeepsTheClosingSeparator() {
        try (TextTokenizer t = TextTokenizer.open(tokenizerJson(), TextTokenizer.Options.encoder(6))) {
            long[] ids = t.encode("one two three four five six seven eight").ids();
            assertEquals(6, ids.length);
            assertEquals(101, ids[0]);
            assertEquals(102, ids[5]);
        }
    }

    @Test void decoderOptionAddsNothingAndTruncatesNothing() {
        try (TextTokenizer t = TextTokenizer.open(tokenizerJson(), TextTokenizer.Options.decoder())) {
            assertArrayEquals(new long[] {7592, 2088}, t.ids("Hello world"));
            assertEquals(700, t.ids("word ".repeat(700)).length);
            assertEquals("hello world", t.decode(new long[] {101, 7592, 2088, 102}));
        }
    }

    @Test void missingFileIsNamed() {
        var e = assertThrows(CheckpointException.class, () -> TextTokenizer.open(Path.of("/nonexistent/tokenizer.json"), TextTokenizer.Options.decoder()));
        assertTrue(e.getMessage().startsWith("/nonexistent/tokenizer.json"), e.getMessage());
    }

    @Test void textsAreBatchedLongestFirstWithTheirPrefix() {
        try (TextTokenizer t = TextTokenizer.open(tokenizerJson(), TextTokenizer.Options.encoder(512))) {
            TokenizedTexts tt = TokenizedTexts.of(t, List.of("a", "a b c", "a b"), "query: ");
            assertArrayEquals(new int[] {1, 2, 0}, tt.byLength());
            assertEquals(List.of(101L, 23032L, 1024L, 1037L, 102L), java.util.Arrays.stream(tt.texts().get(0).ids()).boxed().toList());
            assertEquals(5 + 7 + 6, tt.tokens());
        }
    }
}
