package alloy.results;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {

    @TempDir Path tmp;

    static final Path F = Path.of("x.csv");

    @Test
    void fieldsWithCommasQuotesAndLineBreaksRoundTrip() {
        List<String> nasty = List.of("plain", "a,b", "say \"hi\"", "two\nlines", "crlf\r\nend", " edge ", "", "\"", ",,", "ünï \u2013 ✓");
        String text = Csv.line(nasty) + Csv.line(List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"));
        List<Csv.Record> recs = Csv.parse(F, text);
        assertEquals(2, recs.size());
        assertEquals(nasty, recs.get(0).fields());
        assertEquals(1, recs.get(0).line());
        assertEquals(4, recs.get(1).line(), "line numbers count the breaks inside quoted fields");
        assertEquals("\"a,b\"", Csv.field("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", Csv.field("say \"hi\""));
        assertEquals("plain", Csv.field("plain"));
    }

    @Test
    void numbersAreShortAndExact() {
        for (double v : new double[] {0, 1, 0.975, 1e-7, -3.25e5, 0.1 + 0.2, Math.PI, 1e300, -1e-300, Double.MIN_VALUE}) {
            String s = Csv.number(v);
            assertEquals(v, Double.parseDouble(s), s);
            assertTrue(s.length() <= 24, s);
        }
        assertEquals("0.975", Csv.number(0.975));
        assertEquals("1", Csv.number(1.0));
        assertEquals("", Csv.number(Double.NaN));
    }

    @Test
    void syntaxErrorsNameLineAndColumn() {
        ResultsFileException open = assertThrows(ResultsFileException.class, () -> Csv.parse(F, "a,b\n1,\"never closed\n"));
        assertEquals("x.csv:2:3: quoted field is never closed", open.getMessage());
        ResultsFileException stray = assertThrows(ResultsFileException.class, () -> Csv.parse(F, "a,b\nsay \"hi\",2\n"));
        assertEquals("x.csv:2:5: quote inside an unquoted field (quote the field and double the quote)", stray.getMessage());
        ResultsFileException after = assertThrows(ResultsFileException.class, () -> Csv.parse(F, "a,b\n\"x\"y,2\n"));
        assertTrue(after.getMessage().startsWith("x.csv:2:4: "), after.getMessage());
    }

    @Test
    void malformedCandidatesAreRefusedWithFileAndLine() throws IOException {
        String header = "candidate,recipe_hash,method,params,split,task,metric,value,low,high,n,seconds\n";
        String good = "m1,,model,,heldout,skill-add,exact_match,0.5,0.4,0.6,20,1.5\n";
        record Case(String body, String message) {}
        List<Case> cases = List.of(
                new Case(good + "m2,,model,,heldout,skill-add,exact_match,abc,0.4,0.6,20,1\n", ":3: field 8 (value): \"abc\" is not a number"),
                new Case(good + "m2,,model,w=1,2,heldout,skill-add,exact_match,0.5,0.4,0.6,20,1\n", ":3: 13 fields, expected 12"),
                new Case("m2,,model,,heldout,skill-add,exact_match,0.5,0.4,0.6,20,1\n".replace("m2", "x") + good, ":1: header field 1 is \"x\", expected \"candidate\""),
                new Case(good + "m2,,model,,test,skill-add,exact_match,0.5,0.4,0.6,20,1\n", ":3: field 5 (split): unknown split \"test\""),
                new Case(good + "m2,,model,,heldout,skill-add,exact_match,0.9,0.4,0.6,20,1\n", ":3: candidate m2: skill-add exact_match 0.9 outside its interval [0.4, 0.6]"),
                new Case(good + "m2,,model,,heldout,skill-add,exact_match,0.5,0.4,0.6,2.5,1\n", ":3: field 11 (n): \"2.5\" is not a whole number"),
                new Case(good + "m2,0123456789ab,ties,,heldout,skill-add,exact_match,0.5,0.4,0.6,20,1\n", ":3: field 2 (recipe_hash): recipe 0123456789ab has no file recipes/0123456789ab.yaml"),
                new Case(good + "\"m2,,model,,heldout\n", ":3:1: quoted field is never closed"));
        int i = 0;
        for (Case c : cases) {
            Path dir = tmp.resolve("run" + i++);
            try (RunWriter w = RunWriter.create(dir, RunInfo.start(RunKind.EVAL, List.of("alloy", "eval")))) {
                w.finish();
            }
            Path csv = dir.resolve("candidates.csv");
            Files.writeString(csv, (c.body.startsWith("x,") ? "" : header) + c.body);
            if (c.body.startsWith("x,")) Files.writeString(csv, "x,recipe_hash\n" + good);
            ResultsFileException e = assertThrows(ResultsFileException.class, () -> RunReader.read(dir), c.body);
            assertTrue(e.getMessage().startsWith(csv.toString() + c.message), e.getMessage() + "\n  expected: " + csv + c.message);
            assertEquals(1, e.getMessage().lines().count(), "one line");
        }
    }

    @Test
    void malformedRunJsonIsRefused() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(dir.resolve("run.json"), "{\n  \"format\": 1,\n  \"kind\": \"sweep\",\n  \"command\": [\"alloy\"\n}\n");
        ResultsFileException e = assertThrows(ResultsFileException.class, () -> RunReader.read(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("run.json") + ":5:"), e.getMessage());
        Files.writeString(dir.resolve("run.json"), "{\"format\": 1, \"kind\": \"merge\", \"command\": [\"alloy\"], \"started\": \"2025-01-01T00:00:00Z\", \"alloy_version\": \"1\"}");
        e = assertThrows(ResultsFileException.class, () -> RunReader.read(dir));
        assertTrue(e.getMessage().contains("unknown run kind \"merge\""), e.getMessage());
        Files.writeString(dir.resolve("run.json"), "{\"format\": 9, \"kind\": \"eval\"}");
        e = assertThrows(ResultsFileException.class, () -> RunReader.read(dir));
        assertTrue(e.getMessage().contains("format 9"), e.getMessage());
    }
}
