package alloy.lora;

import static alloy.lora.LoraFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import alloy.cli.LoraCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LoraCommandTest {

    @TempDir Path dir;

    static int run(String... args) {
        CommandLine cl = new CommandLine(new LoraCommand());
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    @Test
    void foldAndCombineFromTheCommandLine() throws Exception {
        Path base = base(dir.resolve("base"));
        Path a1 = adapter(dir.resolve("a1"), config(4, 8), attention(4, 1));
        Path a2 = adapter(dir.resolve("a2"), config(2, 2), attention(2, 2));

        assertEquals(0, run("fold", "--base", base.toString(), a1 + ":0.5", a2.toString(), "-o", dir.resolve("cli-fold").toString()));
        Path api = LoraFoldTest.fold(base, dir.resolve("api-fold"), LoraFold.Options.defaults(), a1, 0.5, a2, 1.0);
        String q = "model.layers.1.self_attn.q_proj.weight";
        assertArrayEquals(read(api, q), read(dir.resolve("cli-fold"), q));

        assertEquals(0, run("combine", "--method", "cat", a1.toString(), a2 + ":2", "-o", dir.resolve("cat").toString()));
        assertTrue(Files.isRegularFile(dir.resolve("cat").resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("cat").resolve("adapter_config.json")));

        assertEquals(0, run("combine", "--method", "dare_ties", "--density", "0.5", "--random-seed", "7", "--majority-sign", "frequency",
                a1.toString(), a1 + ":0.5", "-o", dir.resolve("dare").toString()));
        // the command passes every option through: the same combine through the API, byte for byte
        Path apiDare = LoraCombineTest.combine(dir.resolve("api-dare"), new LoraCombine.Options(CombineMethod.DARE_TIES,
                java.util.OptionalDouble.of(0.5), MajoritySign.FREQUENCY, 7), a1, 1.0, a1, 0.5);
        assertArrayEquals(Files.readAllBytes(apiDare.resolve("adapter_model.safetensors")),
                Files.readAllBytes(dir.resolve("dare").resolve("adapter_model.safetensors")));
        // and the seed reaches the masks: another seed, other bytes
        assertEquals(0, run("combine", "--method", "dare_ties", "--density", "0.5", "--random-seed", "8", "--majority-sign", "frequency",
                a1.toString(), a1 + ":0.5", "-o", dir.resolve("dare8").toString()));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("dare").resolve("adapter_model.safetensors")),
                Files.readAllBytes(dir.resolve("dare8").resolve("adapter_model.safetensors"))), "--random-seed changes the DARE masks");

        // ties without --density, and unequal ranks for linear: refused, nothing written
        assertNotEquals(0, run("combine", "--method", "ties", a1.toString(), a1.toString(), "-o", dir.resolve("bad1").toString()));
        assertNotEquals(0, run("combine", "--method", "linear", a1.toString(), a2.toString(), "-o", dir.resolve("bad2").toString()));
        assertFalse(Files.exists(dir.resolve("bad1")));
        assertFalse(Files.exists(dir.resolve("bad2")));
        assertNotEquals(0, run("bogus"));
    }
}
