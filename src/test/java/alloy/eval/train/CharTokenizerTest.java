package alloy.eval.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.DecoderTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The written tokenizer.json, loaded by DJL's Hugging Face tokenizer, gives every text back exactly. */
class CharTokenizerTest {

    @Test
    void roundTripsThroughDjlTokenizer(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("tokenizer.json"), CharTokenizer.bytes());
        try (DecoderTokenizer t = DecoderTokenizer.open(dir)) {
            assertEquals(CharTokenizer.BOS_ID, t.bos().getAsInt());
            assertEquals(CharTokenizer.EOS_ID, t.eos().getAsInt());
            assertEquals(CharTokenizer.PAD_ID, t.pad());
            Random r = new Random(5);
            List<String> texts = new java.util.ArrayList<>(List.of(CharTokenizer.CHARACTERS, "", " ", "  a  b  ", "\n\nx\n",
                    "add: 12+34=46", "sort: d c b a > a b c d", "a|b-c,d.e!f?g:h<i>j"));
            for (int i = 0; i < 200; i++) {
                StringBuilder s = new StringBuilder();
                int n = r.nextInt(40);
                for (int k = 0; k < n; k++) s.append(CharTokenizer.CHARACTERS.charAt(r.nextInt(CharTokenizer.CHARACTERS.length())));
                texts.add(s.toString());
            }
            for (String text : texts) {
                long[] ids = t.encode(text);
                assertEquals(text.length(), ids.length, "one token per character in \"" + text + "\"");
                assertArrayEquals(Arrays.stream(CharTokenizer.encode(text)).asLongStream().toArray(), ids, text);
                assertEquals(text, t.decode(ids), "round trip");
                long[] withSpecials = t.encodeWithBos(text);
                assertEquals(CharTokenizer.BOS_ID, withSpecials[0]);
                long[] framed = Arrays.copyOf(withSpecials, withSpecials.length + 1);
                framed[framed.length - 1] = CharTokenizer.EOS_ID;
                assertEquals(text, t.decode(framed), "special tokens are skipped when decoding");
            }
        }
    }

    @Test
    void vocabularyIsSpecialsThenCharacters() {
        var v = CharTokenizer.vocabulary();
        assertEquals(4 + CharTokenizer.CHARACTERS.length(), v.size());
        assertEquals(0, v.get("<pad>"));
        assertEquals(4, v.get("a"));
        assertEquals(v.size() - 1, v.get("\n"));
        assertTrue(CharTokenizer.covers("sort: b a"));
    }

    @Test
    void unknownCharacterIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> CharTokenizer.encode("ab~"));
        assertTrue(e.getMessage().contains("'~'") && e.getMessage().contains("ab~"), e.getMessage());
    }
}
