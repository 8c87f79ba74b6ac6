/**
 * ONNX models as checkpoints: read the weights of an ONNX BERT encoder (such as the ones inside the
 * LangChain4j embedding jars) under Hugging Face names, write a merge back into the base model's ONNX
 * graph, and export any of them as a Hugging Face directory.
 *
 * <ul>
 *   <li>{@link alloy.io.onnx.ProtoReader}: protobuf wire format over a mapped file (no protobuf-java).</li>
 *   <li>{@link alloy.io.onnx.OnnxModel}: ModelProto, GraphProto, initializers and nodes, with byte spans.</li>
 *   <li>{@link alloy.io.onnx.OnnxCheckpoint}: the {@link alloy.io.Checkpoint} view, names from {@code HfNames}.</li>
 *   <li>{@link alloy.io.onnx.OnnxWriter}: template file with weights replaced, atomic.</li>
 *   <li>{@link alloy.io.onnx.HfExport}: config.json + model.safetensors + tokenizer.json.</li>
 *   <li>{@link alloy.io.onnx.MavenModels}: {@code maven:group:artifact:version} from the local repository.</li>
 * </ul>
 *
 * <p>Naming: Hugging Face names without a {@code bert.} prefix ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.0.attention.self.query.weight}), as BertModel itself keys its state dict and as the
 * exporter kept them in the ONNX file. An exported directory says {@code "architectures": ["BertModel"]},
 * so transformers loads it as the base model it is; a task head (BertFor...) would add the prefix itself.
 *
 * <p>Measured on the LangChain4j 1.11.0-beta19 jars: bge-small-en, bge-small-en-v1.5 and e5-small-v2 each
 * have 197 weights under identical names and shapes (e5 has one extra int64 initializer, position_ids,
 * which is kept but not exposed); 72 of them are Linear weights stored as {@code onnx::MatMul_NNNN} [in, out].
 */
package alloy.io.onnx;
