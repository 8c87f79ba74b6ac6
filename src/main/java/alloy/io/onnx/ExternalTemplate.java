package alloy.io.onnx;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An ONNX model's bytes with the values of every weight that has a Hugging Face name taken out: each such
 * initializer becomes an external-data reference (data_location EXTERNAL, a location nobody reads), so a
 * session built from these bytes gets its weights from the caller ({@code SessionOptions.addInitializer}, used in
 * place), and ONNX Runtime reads no data for a weight so marked. The graph without its weights is a few
 * hundred KiB, so creating a session no longer parses the 133 MB of the original file.
 */
public final class ExternalTemplate {

    private ExternalTemplate() {}

    public static byte[] of(OnnxCheckpoint template) {
        OnnxModel m = template.model();
        MemorySegment src = m.bytes();
        Set<String> mapped = new HashSet<>();
        for (NameMapping nm : template.nameMapping()) if (nm.exposed()) mapped.add(nm.onnxName());
        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        long at = m.graphBodyStart();
        List<OnnxModel.Tensor> inits = new ArrayList<>(m.initializers().values());
        inits.sort(Comparator.comparingLong(OnnxModel.Tensor::fieldStart));
        for (OnnxModel.Tensor t : inits) {
            if (!mapped.contains(t.name())) continue;
            copy(src, at, t.fieldStart(), graph);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            ProtoReader r = new ProtoReader(src, t.bodyStart(), t.bodyEnd());
            while (r.next()) {
                long fs = r.fieldStart();
                int f = r.field();
                r.skip();
                // drop the values (float_data .. raw_data, double_data, uint64_data) and any old external fields
                if (f != 4 && f != 5 && f != 6 && f != 7 && f != 9 && f != 10 && f != 11 && f != 13 && f != 14) copy(src, fs, r.position(), body);
            }
            long bytes = t.numel() * t.dtype().orElseThrow().byteSize();
            entry(body, "location", "alloy-in-memory.bin");
            entry(body, "offset", "0");
            entry(body, "length", Long.toString(bytes));
            body.writeBytes(ProtoReader.key(14, ProtoReader.VARINT));
            body.writeBytes(ProtoReader.varintBytes(1));   // DataLocation.EXTERNAL
            graph.writeBytes(ProtoReader.key(5, ProtoReader.LEN));
            graph.writeBytes(ProtoReader.varintBytes(body.size()));
            graph.writeBytes(body.toByteArray());
            at = t.bodyEnd();
        }
        copy(src, at, m.graphBodyEnd(), graph);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        copy(src, 0, m.graphFieldStart(), file);
        file.writeBytes(ProtoReader.key(7, ProtoReader.LEN));
        file.writeBytes(ProtoReader.varintBytes(graph.size()));
        file.writeBytes(graph.toByteArray());
        copy(src, m.graphBodyEnd(), src.byteSize(), file);
        return file.toByteArray();
    }

    private static void copy(MemorySegment src, long from, long to, ByteArrayOutputStream out) {
        out.writeBytes(src.asSlice(from, to - from).toArray(ValueLayout.JAVA_BYTE));
    }

    /** One StringStringEntryProto in TensorProto.external_data (field 13). */
    private static void entry(ByteArrayOutputStream body, String key, String value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8), v = value.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        e.writeBytes(ProtoReader.key(1, ProtoReader.LEN));
        e.writeBytes(ProtoReader.varintBytes(k.length));
        e.writeBytes(k);
        e.writeBytes(ProtoReader.key(2, ProtoReader.LEN));
        e.writeBytes(ProtoReader.varintBytes(v.length));
        e.writeBytes(v);
        body.writeBytes(ProtoReader.key(13, ProtoReader.LEN));
        body.writeBytes(ProtoReader.varintBytes(e.size()));
        body.writeBytes(e.toByteArray());
    }
}
