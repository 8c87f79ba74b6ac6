package alloy.io.onnx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.LongConsumer;

/**
 * A cursor over protobuf wire format in native memory, enough for ONNX: varints, fixed32/64 and
 * length-delimited fields (https://protobuf.dev/programming-guides/encoding/). Every length is checked
 * against the end of the enclosing message, so a truncated or foreign file fails with the byte offset
 * of the first field that does not fit, never with an out-of-bounds read. Groups (wire types 3 and 4,
 * deprecated and never used by ONNX) are refused.
 */
final class ProtoReader {

    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Malformed wire data; {@code offset} is where in the file reading went wrong. */
    static final class ProtoException extends RuntimeException {
        final long offset;

        ProtoException(String message, long offset) {
            super(message);
            this.offset = offset;
        }
    }

    private final MemorySegment seg;
    private final long end;
    private long pos;
    private int field;
    private int wireType;
    private long fieldStart;
    private long payloadStart;

    /** Reads the message occupying {@code [start, end)} of {@code seg}. */
    ProtoReader(MemorySegment seg, long start, long end) {
        if (start < 0 || end > seg.byteSize() || start > end) {
            throw new IllegalArgumentException("span [" + start + ", " + end + ") outside " + seg.byteSize() + " bytes");
        }
        this.seg = seg;
        this.pos = start;
        this.end = end;
    }

    /** Advances to the next field's key; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        fieldStart = pos;
        long key = varint();
        long f = key >>> 3;
        int wt = (int) (key & 7);
        if (f == 0 || f > 0x1FFF_FFFFL) throw new ProtoException("invalid field number " + f, fieldStart);
        if (wt != VARINT && wt != FIXED64 && wt != LEN && wt != FIXED32) {
            throw new ProtoException("field " + f + " has wire type " + wt + " (only 0, 1, 2 and 5 exist in ONNX)", fieldStart);
        }
        field = (int) f;
        wireType = wt;
        return true;
    }

    int field() { return field; }

    int wireType() { return wireType; }

    /** Offset of the current field's key (its tag). */
    long fieldStart() { return fieldStart; }

    long position() { return pos; }

    /** Where the payload of the last packed field read by {@link #countRepeated} starts (it ends at {@link #position()}). */
    long payloadStart() { return payloadStart; }

    long end() { return end; }

    /** Refuses the current field unless it has wire type {@code expected}; {@code what} names it. */
    void expect(int expected, String what) {
        if (wireType != expected) {
            throw new ProtoException(what + " (field " + field + ") has wire type " + wireType + ", expected " + expected, fieldStart);
        }
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) throw new ProtoException("varint runs past the end of its message (truncated)", pos);
            byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
        throw new ProtoException("varint longer than 10 bytes", pos);
    }

    int fixed32() {
        need(4);
        int v = seg.get(I32, pos);
        pos += 4;
        return v;
    }

    long fixed64() {
        need(8);
        long v = seg.get(I64, pos);
        pos += 8;
        return v;
    }

    /** A length-delimited payload: returns its start offset and moves past it; its end is {@link #position()}. */
    long lengthDelimited() {
        long lenAt = pos;
        long len = varint();
        if (len < 0 || len > end - pos) {
            throw new ProtoException("field " + field + " declares " + Long.toUnsignedString(len) + " bytes but only "
                    + (end - pos) + " remain in its message (file truncated or not protobuf)", lenAt);
        }
        long start = pos;
        pos += len;
        return start;
    }

    String string() {
        long start = lengthDelimited();
        return utf8(seg, start, pos);
    }

    /** A repeated varint field, packed (one LEN field) or not (one value per field). */
    void repeatedVarints(LongConsumer sink) {
        if (wireType == VARINT) {
            sink.accept(varint());
        } else if (wireType == LEN) {
            long start = lengthDelimited();
            ProtoReader p = new ProtoReader(seg, start, pos);
            while (p.pos < p.end) sink.accept(p.varint());
        } else {
            throw new ProtoException("repeated varint field " + field + " has wire type " + wireType, fieldStart);
        }
    }

    /** A repeated fixed32 field (float_data), packed or not; values are passed as their raw 32 bits. */
    void repeatedFixed32(LongConsumer sink) {
        if (wireType == FIXED32) {
            sink.accept(fixed32() & 0xFFFF_FFFFL);
        } else if (wireType == LEN) {
            long start = lengthDelimited();
            if ((pos - start) % 4 != 0) throw new ProtoException("packed fixed32 field " + field + " is not a multiple of 4 bytes", start);
            for (long p = start; p < pos; p += 4) sink.accept(seg.get(I32, p) & 0xFFFF_FFFFL);
        } else {
            throw new ProtoException("repeated fixed32 field " + field + " has wire type " + wireType, fieldStart);
        }
    }

    /** A repeated fixed64 field (double_data), packed or not; values are passed as their raw 64 bits. */
    void repeatedFixed64(LongConsumer sink) {
        if (wireType == FIXED64) {
            sink.accept(fixed64());
        } else if (wireType == LEN) {
            long start = lengthDelimited();
            if ((pos - start) % 8 != 0) throw new ProtoException("packed fixed64 field " + field + " is not a multiple of 8 bytes", start);
            for (long p = start; p < pos; p += 8) sink.accept(seg.get(I64, p));
        } else {
            throw new ProtoException("repeated fixed64 field " + field + " has wire type " + wireType, fieldStart);
        }
    }

    /**
     * Skips the current field, a repeated field of {@code elementWire} values (VARINT, FIXED32 or FIXED64),
     * packed or not, and returns how many values it holds: what a tensor's typed data must be checked
     * against before anything is allocated for it.
     */
    long countRepeated(int elementWire, String what) {
        if (wireType == elementWire) {
            skip();
            return 1;
        }
        if (wireType != LEN) throw new ProtoException(what + " (field " + field + ") has wire type " + wireType, fieldStart);
        long start = lengthDelimited();
        payloadStart = start;
        long len = pos - start;
        return switch (elementWire) {
            case FIXED32, FIXED64 -> {
                int width = elementWire == FIXED32 ? 4 : 8;
                if (len % width != 0) throw new ProtoException("packed " + what + " is not a multiple of " + width + " bytes", start);
                yield len / width;
            }
            case VARINT -> {
                long n = 0;
                for (long p = start; p < pos; p++) if (seg.get(ValueLayout.JAVA_BYTE, p) >= 0) n++;
                if (len > 0 && seg.get(ValueLayout.JAVA_BYTE, pos - 1) < 0) throw new ProtoException("packed " + what + " ends inside a varint", pos - 1);
                yield n;
            }
            default -> throw new IllegalArgumentException("wire type " + elementWire);
        };
    }

    /** Skips the current field's value. */
    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> { need(8); pos += 8; }
            case FIXED32 -> { need(4); pos += 4; }
            case LEN -> lengthDelimited();
            default -> throw new AssertionError(wireType);
        }
    }

    private void need(int n) {
        if (end - pos < n) throw new ProtoException("field " + field + " needs " + n + " bytes, " + (end - pos) + " remain (truncated)", pos);
    }

    static String utf8(MemorySegment seg, long start, long end) {
        return new String(seg.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    // ---- encoding, for the writer: only what re-framing a message needs ----

    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    static byte[] varintBytes(long v) {
        byte[] out = new byte[varintSize(v)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (i == out.length - 1 ? v & 0x7F : (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        return out;
    }

    static byte[] key(int field, int wireType) { return varintBytes(((long) field << 3) | wireType); }
}
