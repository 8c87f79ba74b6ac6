package alloy.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtoReaderTest {

    private static ProtoReader reader(byte[] b) { return new ProtoReader(MemorySegment.ofArray(b), 0, b.length); }

    @Test
    void readsVarintsStringsAndPackedRuns() {
        byte[] b = new Proto().varint(1, 300).varint(2, -1L).string(3, "héllo").bytes(4, new byte[] {(byte) 0xAC, 0x02, 0x05}).toBytes();
        ProtoReader r = reader(b);
        assertTrue(r.next());
        assertEquals(1, r.field());
        assertEquals(300, r.varint());
        assertTrue(r.next());
        assertEquals(-1L, r.varint()); // ten bytes on the wire
        assertTrue(r.next());
        assertEquals("héllo", r.string());
        assertTrue(r.next());
        List<Long> packed = new ArrayList<>();
        r.repeatedVarints(packed::add);
        assertEquals(List.of(300L, 5L), packed);
        assertFalse(r.next());
    }

    @Test
    void encodesVarintsAsItReadsThem() {
        for (long v : new long[] {0, 1, 127, 128, 300, 1L << 35, Long.MAX_VALUE, -1L}) {
            byte[] enc = ProtoReader.varintBytes(v);
            assertEquals(ProtoReader.varintSize(v), enc.length);
            ProtoReader r = reader(enc);
            assertEquals(v, r.varint());
        }
    }

    @Test
    void refusesLengthsBeyondTheMessage() {
        byte[] b = new Proto().bytes(7, new byte[10]).toBytes();
        byte[] cut = java.util.Arrays.copyOf(b, b.length - 4);
        ProtoReader r = reader(cut);
        assertTrue(r.next());
        var e = assertThrows(ProtoReader.ProtoException.class, r::lengthDelimited);
        assertTrue(e.getMessage().contains("declares 10 bytes but only 6 remain"), e.getMessage());
        assertEquals(1, e.offset);
    }

    @Test
    void refusesGroupsAndFieldZero() {
        assertThrows(ProtoReader.ProtoException.class, () -> reader(new byte[] {0x0B}).next()); // field 1, wire type 3
        assertThrows(ProtoReader.ProtoException.class, () -> reader(new byte[] {0x02, 0x00}).next()); // field 0
        assertThrows(ProtoReader.ProtoException.class, () -> reader(new byte[] {(byte) 0x80}).next()); // varint cut short
    }
}
