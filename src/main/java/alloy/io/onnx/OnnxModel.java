package alloy.io.onnx;

import alloy.io.CheckpointException;
import alloy.io.onnx.ProtoReader.ProtoException;
import alloy.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.LongConsumer;

/**
 * The parts of an ONNX ModelProto that Alloy needs, read from a mapped file without copying tensor data:
 * header fields, the graph's initializers (with the byte spans of their data) and its nodes (op type,
 * inputs, outputs, attributes). Field numbers are those of onnx/onnx.proto (IR version 3 and later):
 * ModelProto.graph = 7, GraphProto.node = 1 / initializer = 5, TensorProto.dims = 1 / data_type = 2 /
 * float_data = 4 / name = 8 / raw_data = 9, and so on. Anything else is skipped, so newer files still read.
 */
public final class OnnxModel {

    /** How a tensor's values are stored in the file. */
    public enum Storage {
        /** raw_data: little-endian values, contiguous; readable in place. */
        RAW,
        /** One packed float_data / double_data field: little-endian fixed-width values, contiguous; readable in place. */
        PACKED,
        /** Typed fields that must be decoded (varints, unpacked repeats, several chunks); copied on read. */
        TYPED,
        /** No values: the tensor has zero elements. */
        EMPTY
    }

    /**
     * One TensorProto. {@code fieldStart} is the offset of its key in the enclosing message (so the writer can
     * replace the whole field); {@code bodyStart}/{@code bodyEnd} delimit the message itself;
     * {@code dataStart}/{@code dataEnd} the contiguous values when {@code storage} is RAW or PACKED.
     */
    public record Tensor(String name, int dataType, long[] dims, Storage storage, long fieldStart, long bodyStart, long bodyEnd,
                         long dataStart, long dataEnd) {
        public Tensor {
            Objects.requireNonNull(name, "name");
            dims = dims.clone();
            Objects.requireNonNull(storage, "storage of " + name);
            if (bodyStart > bodyEnd || dataStart > dataEnd) throw new IllegalArgumentException("tensor '" + name + "': inverted span");
        }

        @Override public long[] dims() { return dims.clone(); }

        public long numel() {
            long n = 1;
            for (long d : dims) n = Math.multiplyExact(n, d);
            return n;
        }

        /** The Alloy element type, when there is one for this ONNX data_type. */
        public Optional<DType> dtype() { return dtypeOf(dataType); }

        public boolean isFloat() { return dtype().map(DType::arithmetic).orElse(false); }
    }

    /** One node attribute: the scalar, list or tensor forms ONNX uses (AttributeProto f/i/s/t/floats/ints). */
    public record Attribute(String name, OptionalDouble f, Optional<Long> i, long[] ints, Optional<Tensor> t) {
        public Attribute {
            Objects.requireNonNull(name, "name");
            ints = ints.clone();
        }

        @Override public long[] ints() { return ints.clone(); }
    }

    public record Node(String name, String opType, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {
        public Node {
            Objects.requireNonNull(opType, "op_type of node " + name);
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        }

        public Optional<Attribute> attribute(String key) { return Optional.ofNullable(attributes.get(key)); }
    }

    private final Path file;
    private final MemorySegment bytes;
    private final long irVersion;
    private final String producer;
    private final Map<String, Long> opsets;
    private final Map<String, String> metadataProps;
    private final long graphFieldStart, graphBodyStart, graphBodyEnd;
    private final String graphName;
    private final List<String> inputs, outputs;
    private final Map<String, Tensor> initializers;
    private final List<Node> nodes;

    private OnnxModel(Path file, MemorySegment bytes, long irVersion, String producer, Map<String, Long> opsets,
                      Map<String, String> metadataProps, long[] graphSpan, String graphName, List<String> inputs,
                      List<String> outputs, Map<String, Tensor> initializers, List<Node> nodes) {
        this.file = file;
        this.bytes = bytes;
        this.irVersion = irVersion;
        this.producer = producer;
        this.opsets = opsets;
        this.metadataProps = metadataProps;
        this.graphFieldStart = graphSpan[0];
        this.graphBodyStart = graphSpan[1];
        this.graphBodyEnd = graphSpan[2];
        this.graphName = graphName;
        this.inputs = inputs;
        this.outputs = outputs;
        this.initializers = initializers;
        this.nodes = nodes;
    }

    /**
     * Parses {@code bytes} (the whole file). Errors are one line naming {@code file}: truncation, foreign
     * formats, external data and sparse initializers are refused here, before any tensor is used.
     */
    public static OnnxModel parse(Path file, MemorySegment bytes) {
        try {
            return parseModel(file, bytes);
        } catch (ProtoException e) {
            throw new CheckpointException(file + ": not a readable ONNX model: " + e.getMessage() + " (at byte " + e.offset + " of "
                    + bytes.byteSize() + ")");
        }
    }

    private static OnnxModel parseModel(Path file, MemorySegment bytes) {
        ProtoReader r = new ProtoReader(bytes, 0, bytes.byteSize());
        long ir = -1;
        String producer = "";
        String producerVersion = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Map<String, String> props = new LinkedHashMap<>();
        long[] graph = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> { r.expect(ProtoReader.VARINT, "ModelProto.ir_version"); ir = r.varint(); }
                case 2 -> { r.expect(ProtoReader.LEN, "ModelProto.producer_name"); producer = r.string(); }
                case 3 -> { r.expect(ProtoReader.LEN, "ModelProto.producer_version"); producerVersion = r.string(); }
                case 7 -> {
                    r.expect(ProtoReader.LEN, "ModelProto.graph");
                    if (graph != null) throw new ProtoException("ModelProto has two graph fields", r.fieldStart());
                    long fieldStart = r.fieldStart();
                    long start = r.lengthDelimited();
                    graph = new long[] {fieldStart, start, r.position()};
                }
                case 8 -> {
                    r.expect(ProtoReader.LEN, "ModelProto.opset_import");
                    long s = r.lengthDelimited();
                    ProtoReader o = new ProtoReader(bytes, s, r.position());
                    String domain = "";
                    long version = 0;
                    while (o.next()) {
                        if (o.field() == 1 && o.wireType() == ProtoReader.LEN) domain = o.string();
                        else if (o.field() == 2 && o.wireType() == ProtoReader.VARINT) version = o.varint();
                        else o.skip();
                    }
                    opsets.put(domain, version);
                }
                case 14 -> {
                    r.expect(ProtoReader.LEN, "ModelProto.metadata_props");
                    long s = r.lengthDelimited();
                    ProtoReader o = new ProtoReader(bytes, s, r.position());
                    String k = "", v = "";
                    while (o.next()) {
                        if (o.field() == 1 && o.wireType() == ProtoReader.LEN) k = o.string();
                        else if (o.field() == 2 && o.wireType() == ProtoReader.LEN) v = o.string();
                        else o.skip();
                    }
                    props.put(k, v);
                }
                default -> r.skip();
            }
        }
        if (graph == null || ir <= 0) {
            throw new CheckpointException(file + ": not an ONNX model: " + (ir <= 0 ? "no ir_version" : "no graph")
                    + " in what should be a ModelProto (" + bytes.byteSize() + " bytes)");
        }
        String prod = producerVersion.isEmpty() ? producer : producer + " " + producerVersion;
        return parseGraph(file, bytes, ir, prod, opsets, props, graph);
    }

    private static OnnxModel parseGraph(Path file, MemorySegment bytes, long ir, String producer, Map<String, Long> opsets,
                                        Map<String, String> props, long[] span) {
        ProtoReader g = new ProtoReader(bytes, span[1], span[2]);
        String name = "";
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (g.next()) {
            switch (g.field()) {
                case 1 -> {
                    g.expect(ProtoReader.LEN, "GraphProto.node");
                    long s = g.lengthDelimited();
                    nodes.add(parseNode(file, bytes, s, g.position()));
                }
                case 2 -> { g.expect(ProtoReader.LEN, "GraphProto.name"); name = g.string(); }
                case 5 -> {
                    g.expect(ProtoReader.LEN, "GraphProto.initializer");
                    long fs = g.fieldStart();
                    long s = g.lengthDelimited();
                    Tensor t = parseTensor(file, bytes, fs, s, g.position(), "initializer");
                    if (inits.putIfAbsent(t.name(), t) != null) {
                        throw new CheckpointException(file + ": two initializers are named '" + t.name() + "'");
                    }
                }
                case 11, 12 -> {
                    g.expect(ProtoReader.LEN, "GraphProto.input/output");
                    long s = g.lengthDelimited();
                    ProtoReader v = new ProtoReader(bytes, s, g.position());
                    String n = "";
                    while (v.next()) {
                        if (v.field() == 1 && v.wireType() == ProtoReader.LEN) n = v.string();
                        else v.skip();
                    }
                    (g.field() == 11 ? inputs : outputs).add(n);
                }
                case 15 -> throw new CheckpointException(file + ": graph has sparse initializers, which Alloy does not read"
                        + " (store the weights as dense initializers)");
                default -> g.skip();
            }
        }
        // Older exporters list initializers among the graph inputs too; they are not model inputs.
        inputs.removeIf(inits::containsKey);
        return new OnnxModel(file, bytes, ir, producer, Collections.unmodifiableMap(opsets), Collections.unmodifiableMap(props),
                span, name, List.copyOf(inputs), List.copyOf(outputs), Collections.unmodifiableMap(inits), List.copyOf(nodes));
    }

    private static Node parseNode(Path file, MemorySegment bytes, long start, long end) {
        ProtoReader r = new ProtoReader(bytes, start, end);
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        String name = "", op = null;
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> { r.expect(ProtoReader.LEN, "NodeProto.input"); in.add(r.string()); }
                case 2 -> { r.expect(ProtoReader.LEN, "NodeProto.output"); out.add(r.string()); }
                case 3 -> { r.expect(ProtoReader.LEN, "NodeProto.name"); name = r.string(); }
                case 4 -> { r.expect(ProtoReader.LEN, "NodeProto.op_type"); op = r.string(); }
                case 5 -> {
                    r.expect(ProtoReader.LEN, "NodeProto.attribute");
                    long s = r.lengthDelimited();
                    Attribute a = parseAttribute(file, bytes, s, r.position());
                    attrs.put(a.name(), a);
                }
                default -> r.skip();
            }
        }
        if (op == null) throw new ProtoException("node '" + name + "' has no op_type", start);
        return new Node(name, op, in, out, attrs);
    }

    private static Attribute parseAttribute(Path file, MemorySegment bytes, long start, long end) {
        ProtoReader r = new ProtoReader(bytes, start, end);
        String name = "";
        OptionalDouble f = OptionalDouble.empty();
        Optional<Long> i = Optional.empty();
        Optional<Tensor> t = Optional.empty();
        List<Long> ints = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> { r.expect(ProtoReader.LEN, "AttributeProto.name"); name = r.string(); }
                case 2 -> { r.expect(ProtoReader.FIXED32, "AttributeProto.f"); f = OptionalDouble.of(Float.intBitsToFloat(r.fixed32())); }
                case 3 -> { r.expect(ProtoReader.VARINT, "AttributeProto.i"); i = Optional.of(r.varint()); }
                case 5 -> {
                    r.expect(ProtoReader.LEN, "AttributeProto.t");
                    long fs = r.fieldStart();
                    long s = r.lengthDelimited();
                    t = Optional.of(parseTensor(file, bytes, fs, s, r.position(), "attribute tensor"));
                }
                case 8 -> readInts(r, ints);
                default -> r.skip();
            }
        }
        return new Attribute(name, f, i, ints.stream().mapToLong(Long::longValue).toArray(), t);
    }

    /** Repeated int64 either packed (one LEN field) or one varint per field. */
    private static void readInts(ProtoReader r, List<Long> into) { r.repeatedVarints(into::add); }

    private static Tensor parseTensor(Path file, MemorySegment bytes, long fieldStart, long start, long end, String what) {
        ProtoReader r = new ProtoReader(bytes, start, end);
        String name = "";
        int dataType = 0;
        List<Long> dims = new ArrayList<>();
        long rawStart = -1, rawEnd = -1;
        long packedStart = -1, packedEnd = -1;
        int packedField = 0;
        int typedFields = 0;
        long typedValues = 0;
        boolean external = false;
        String location = "";
        while (r.next()) {
            switch (r.field()) {
                case 1 -> readInts(r, dims);
                case 2 -> { r.expect(ProtoReader.VARINT, "TensorProto.data_type"); dataType = (int) r.varint(); }
                case 3 -> throw new ProtoException("segmented tensors (TensorProto.segment) are not supported", r.fieldStart());
                case 8 -> { r.expect(ProtoReader.LEN, "TensorProto.name"); name = r.string(); }
                case 9 -> {
                    r.expect(ProtoReader.LEN, "TensorProto.raw_data");
                    rawStart = r.lengthDelimited();
                    rawEnd = r.position();
                }
                case 4, 5, 7, 10, 11 -> {
                    int f = r.field();
                    boolean packed = r.wireType() == ProtoReader.LEN;
                    typedFields += packed ? 1 : 2;   // unpacked repeats are never contiguous
                    typedValues += r.countRepeated(f == 4 ? ProtoReader.FIXED32 : f == 10 ? ProtoReader.FIXED64 : ProtoReader.VARINT,
                            "TensorProto." + typedFieldName(f));
                    if (packed) {
                        packedField = f;
                        packedStart = r.payloadStart();
                        packedEnd = r.position();
                    }
                }
                case 6 -> { typedFields += 2; r.skip(); }
                case 13 -> {
                    r.expect(ProtoReader.LEN, "TensorProto.external_data");
                    external = true;
                    long s = r.lengthDelimited();
                    ProtoReader e = new ProtoReader(bytes, s, r.position());
                    String k = "", v = "";
                    while (e.next()) {
                        if (e.field() == 1 && e.wireType() == ProtoReader.LEN) k = e.string();
                        else if (e.field() == 2 && e.wireType() == ProtoReader.LEN) v = e.string();
                        else e.skip();
                    }
                    if (k.equals("location")) location = v;
                }
                case 14 -> { r.expect(ProtoReader.VARINT, "TensorProto.data_location"); external |= r.varint() == 1; }
                default -> r.skip();
            }
        }
        String where = file + ": " + what + " '" + name + "'";
        if (external) {
            throw new CheckpointException(where + " keeps its data in an external file" + (location.isEmpty() ? "" : " ('" + location + "')")
                    + "; Alloy reads only self-contained .onnx files (re-save the model with all tensors inside it)");
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        for (long x : d) {
            if (x < 0) throw new CheckpointException(where + ": negative dimension in " + Arrays.toString(d));
        }
        Tensor probe = new Tensor(name, dataType, d, Storage.EMPTY, fieldStart, start, end, 0, 0);
        long numel;
        try {
            numel = probe.numel();
        } catch (ArithmeticException ex) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(d) + " overflows");
        }
        int size = elementSize(dataType);
        long byteCount;
        try {
            byteCount = Math.multiplyExact(numel, (long) size);
        } catch (ArithmeticException ex) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(d) + " of " + typeName(dataType) + " holds more bytes than a file can");
        }
        if (rawStart >= 0) {
            if (size > 0 && rawEnd - rawStart != byteCount) {
                throw new CheckpointException(where + ": shape " + Arrays.toString(d) + " of " + typeName(dataType) + " needs "
                        + byteCount + " bytes, raw_data holds " + (rawEnd - rawStart));
            }
            return new Tensor(name, dataType, d, Storage.RAW, fieldStart, start, end, rawStart, rawEnd);
        }
        // Typed values are counted now, before anything is allocated for them: a shape of 2^40 elements with one
        // float_data value, or 15 values for [4, 4], is refused here rather than when the decode buffer is made.
        if (size > 0 && !isComplex(dataType) && typedFields > 0 && typedValues != numel) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(d) + " of " + typeName(dataType) + " needs " + numel
                    + " values, the file holds " + typedValues + " (" + typedFieldNames(dataType) + ")");
        }
        // float_data and double_data hold little-endian fixed-width values when packed: readable in place.
        boolean fixedWidth = (dataType == 1 && packedField == 4) || (dataType == 11 && packedField == 10);
        if (typedFields == 1 && fixedWidth && packedEnd - packedStart == byteCount) {
            return new Tensor(name, dataType, d, Storage.PACKED, fieldStart, start, end, packedStart, packedEnd);
        }
        if (typedFields > 0) return new Tensor(name, dataType, d, Storage.TYPED, fieldStart, start, end, 0, 0);
        if (numel == 0) return probe;
        throw new CheckpointException(where + ": shape " + Arrays.toString(d) + " but no data (neither raw_data nor typed values)");
    }

    private static String typedFieldName(int field) {
        return switch (field) {
            case 4 -> "float_data";
            case 5 -> "int32_data";
            case 7 -> "int64_data";
            case 10 -> "double_data";
            case 11 -> "uint64_data";
            default -> "field " + field;
        };
    }

    /** Where onnx.proto says values of {@code dataType} go when they are not raw_data. */
    private static String typedFieldNames(int dataType) {
        return switch (dataType) {
            case 1 -> "float_data";
            case 11 -> "double_data";
            case 7 -> "int64_data";
            case 12, 13 -> "uint64_data";
            default -> "int32_data";
        };
    }

    /** COMPLEX64 and COMPLEX128 store two values per element. */
    private static boolean isComplex(int dataType) { return dataType == 14 || dataType == 15; }

    /** Bytes per element of an ONNX data_type (TensorProto.DataType); 0 where not fixed (strings, 4-bit types). */
    static int elementSize(int dataType) {
        return switch (dataType) {
            case 2, 3, 9, 17, 18, 19, 20 -> 1;      // uint8, int8, bool, float8 variants
            case 4, 5, 10, 16 -> 2;                 // uint16, int16, float16, bfloat16
            case 1, 6, 12 -> 4;                     // float, int32, uint32
            case 7, 11, 13, 14 -> 8;                // int64, double, uint64, complex64
            case 15 -> 16;                          // complex128
            default -> 0;
        };
    }

    /** The Alloy dtype of an ONNX data_type, when Alloy has one. */
    public static Optional<DType> dtypeOf(int dataType) {
        return Optional.ofNullable(switch (dataType) {
            case 1 -> DType.F32;
            case 2 -> DType.U8;
            case 3 -> DType.I8;
            case 5 -> DType.I16;
            case 6 -> DType.I32;
            case 7 -> DType.I64;
            case 9 -> DType.BOOL;
            case 10 -> DType.F16;
            case 11 -> DType.F64;
            case 16 -> DType.BF16;
            case 17 -> DType.F8_E4M3;
            case 19 -> DType.F8_E5M2;
            default -> null;
        });
    }

    static String typeName(int dataType) {
        return switch (dataType) {
            case 1 -> "FLOAT"; case 2 -> "UINT8"; case 3 -> "INT8"; case 4 -> "UINT16"; case 5 -> "INT16";
            case 6 -> "INT32"; case 7 -> "INT64"; case 8 -> "STRING"; case 9 -> "BOOL"; case 10 -> "FLOAT16";
            case 11 -> "DOUBLE"; case 12 -> "UINT32"; case 13 -> "UINT64"; case 16 -> "BFLOAT16";
            default -> "data_type " + dataType;
        };
    }

    /**
     * The values of {@code t} as contiguous little-endian elements of its data_type: a read-only slice of the
     * file for RAW and PACKED storage, otherwise decoded into {@code arena}.
     */
    MemorySegment data(Tensor t, Arena arena) {
        return switch (t.storage()) {
            case RAW, PACKED -> bytes.asSlice(t.dataStart(), t.dataEnd() - t.dataStart()).asReadOnly();
            case EMPTY -> MemorySegment.ofArray(new byte[0]);
            case TYPED -> decodeTyped(t, arena);
        };
    }

    /**
     * Gathers typed values (float_data, int32_data, int64_data, double_data, uint64_data; packed or not) into
     * contiguous little-endian elements. int32_data carries FLOAT16 and BFLOAT16 as their 16-bit patterns.
     */
    private MemorySegment decodeTyped(Tensor t, Arena arena) {
        int size = elementSize(t.dataType());
        if (size == 0) throw new CheckpointException(file + ": tensor '" + t.name() + "' has " + typeName(t.dataType()) + " values, which Alloy cannot lay out");
        long n = t.numel();
        MemorySegment out = arena.allocate(Math.max(1, n * size), 8).asSlice(0, n * size);
        long[] count = {0};
        LongConsumer put = v -> {
            if (count[0] >= n) throw new CheckpointException(file + ": tensor '" + t.name() + "' holds more than the " + n + " values its shape "
                    + Arrays.toString(t.dims()) + " allows");
            long at = count[0]++ * size;
            for (int b = 0; b < size; b++) out.set(ValueLayout.JAVA_BYTE, at + b, (byte) (v >>> (8 * b)));
        };
        ProtoReader r = new ProtoReader(bytes, t.bodyStart(), t.bodyEnd());
        try {
            while (r.next()) {
                switch (r.field()) {
                    case 4 -> r.repeatedFixed32(put);
                    case 10 -> r.repeatedFixed64(put);
                    case 5, 7, 11 -> r.repeatedVarints(put);
                    default -> r.skip();
                }
            }
        } catch (ProtoException e) {
            throw new CheckpointException(file + ": tensor '" + t.name() + "': " + e.getMessage() + " (at byte " + e.offset + ")");
        }
        if (count[0] != n) {
            throw new CheckpointException(file + ": tensor '" + t.name() + "' of shape " + Arrays.toString(t.dims()) + " needs " + n
                    + " values, found " + count[0]);
        }
        return out.asReadOnly();
    }

    /** The single value of a one-element numeric tensor (a Constant node's value), when it is one. */
    OptionalDouble scalar(Tensor t) {
        if (t.numel() != 1) return OptionalDouble.empty();
        try (var arena = Arena.ofConfined()) {
            MemorySegment v = data(t, arena);
            var le = ByteOrder.LITTLE_ENDIAN;
            return switch (t.dataType()) {
                case 1 -> OptionalDouble.of(v.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le), 0));
                case 11 -> OptionalDouble.of(v.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(le), 0));
                case 7 -> OptionalDouble.of(v.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), 0));
                case 6 -> OptionalDouble.of(v.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), 0));
                default -> OptionalDouble.empty();
            };
        }
    }

    public Path file() { return file; }

    /** The whole mapped file (owned by the checkpoint's arena). */
    MemorySegment bytes() { return bytes; }

    public long irVersion() { return irVersion; }

    /** producer_name and producer_version, e.g. "pytorch 2.0.1". */
    public String producer() { return producer; }

    /** Operator set versions by domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() { return opsets; }

    public Map<String, String> metadataProps() { return metadataProps; }

    public String graphName() { return graphName; }

    /** Graph inputs that are fed at run time (initializers excluded), e.g. input_ids, attention_mask, token_type_ids. */
    public List<String> inputs() { return inputs; }

    public List<String> outputs() { return outputs; }

    /** Initializers in file order. */
    public Map<String, Tensor> initializers() { return initializers; }

    public List<Node> nodes() { return nodes; }

    /** Offsets of ModelProto.graph: its key, the start and the end of the GraphProto body. */
    long graphFieldStart() { return graphFieldStart; }

    long graphBodyStart() { return graphBodyStart; }

    long graphBodyEnd() { return graphBodyEnd; }
}
