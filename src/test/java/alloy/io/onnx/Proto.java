package alloy.io.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A protobuf message under construction, for building small ONNX files in tests (field numbers of onnx.proto). */
final class Proto {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private void raw(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private void key(int field, int wireType) { raw(((long) field << 3) | wireType); }

    Proto varint(int field, long v) {
        key(field, 0);
        raw(v);
        return this;
    }

    Proto bytes(int field, byte[] b) {
        key(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    Proto string(int field, String s) { return bytes(field, s.getBytes(StandardCharsets.UTF_8)); }

    Proto message(int field, Proto m) { return bytes(field, m.toBytes()); }

    Proto fixed32(int field, float f) {
        key(field, 5);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array());
        return this;
    }

    static byte[] floatsLE(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    byte[] toBytes() { return out.toByteArray(); }

    // ---- ONNX shapes of messages ----

    /** How a test tensor stores its floats. */
    enum Layout { RAW, PACKED_FLOAT_DATA, UNPACKED_FLOAT_DATA }

    static Proto floatTensor(String name, long[] dims, float[] values, Layout layout) {
        Proto t = new Proto();
        for (long d : dims) t.varint(1, d);
        t.varint(2, 1);
        t.string(8, name);
        switch (layout) {
            case RAW -> t.bytes(9, floatsLE(values));
            case PACKED_FLOAT_DATA -> t.bytes(4, floatsLE(values));
            case UNPACKED_FLOAT_DATA -> { for (float v : values) t.fixed32(4, v); }
        }
        return t;
    }

    static Proto node(String name, String op, String[] inputs, String[] outputs) {
        Proto n = new Proto();
        for (String i : inputs) n.string(1, i);
        for (String o : outputs) n.string(2, o);
        n.string(3, name);
        n.string(4, op);
        return n;
    }

    /** ValueInfoProto of a float tensor with fixed dims. */
    static Proto floatValue(String name, long... dims) {
        Proto shape = new Proto();
        for (long d : dims) shape.message(1, new Proto().varint(1, d));
        Proto tensorType = new Proto().varint(1, 1).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    static byte[] model(Proto graph) {
        return new Proto().varint(1, 7).string(2, "alloy-test").message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, 13)).toBytes();
    }

    /**
     * y = x @ W + lin.bias with x [1, in]: the shape torch gives a Linear layer, W = onnx::MatMul_7 stored
     * [in, out] in {@code layout}, bias as raw_data.
     */
    static byte[] linearModel(int in, int out, float[] weightInOut, float[] bias, Layout layout) {
        Proto g = new Proto();
        g.message(1, node("/lin/MatMul", "MatMul", new String[] {"x", "onnx::MatMul_7"}, new String[] {"/lin/MatMul_output_0"}));
        g.message(1, node("/lin/Add", "Add", new String[] {"lin.bias", "/lin/MatMul_output_0"}, new String[] {"y"}));
        g.string(2, "tiny");
        g.message(5, floatTensor("onnx::MatMul_7", new long[] {in, out}, weightInOut, layout));
        g.message(5, floatTensor("lin.bias", new long[] {out}, bias, Layout.RAW));
        g.message(11, floatValue("x", 1, in));
        g.message(12, floatValue("y", 1, out));
        return model(g);
    }
}
