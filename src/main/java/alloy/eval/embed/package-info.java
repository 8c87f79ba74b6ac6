/**
 * Sentence embeddings from BERT encoders and the proxy tasks they are scored on.
 *
 * <pre>
 * ProxyTask (retrieval / pairs) ──prefixes, tokenize once──► TokenizedTexts (kept across candidates)
 * candidate Checkpoint ──EncoderEngine.load──► OrtEncoderEngine: an ONNX Runtime session over the reference's
 *                                              ONNX graph, the candidate's weights handed over in memory
 *                                           or DjlEncoderEngine: BertEncoder (WeightLoader, a sub-manager)
 * TokenizedTexts + loaded engine ──SentenceEmbedder's batches (longest first), pool, normalize──► float[][]
 * float[][] ──RetrievalEval: cosine ranks ─► recall@1, MRR, nDCG@10 per query ─┐
 *           ──PairEval: cosine per pair ──► Spearman vs the judgements ─────────┴─► alloy.eval.stats Scores
 * </pre>
 *
 * <ul>
 *   <li>{@link alloy.eval.embed.EncoderProfile}: pooling, normalization, query / passage / pair prefixes and
 *       max length, per model card (bge, bge-noinstruct, e5, minilm) or spelled out; the evaluation names
 *       it, so a merge of models that pool differently is scored one chosen way.</li>
 *   <li>{@link alloy.eval.embed.Pooling}: CLS or masked mean, then optional L2 normalization.</li>
 *   <li>{@link alloy.eval.embed.EncoderEngine}: what runs a candidate; ONNX Runtime where the reference model
 *       is ONNX (twice DJL PyTorch's speed on AMD, same embeddings to 1e-12), else DJL.</li>
 *   <li>{@link alloy.eval.embed.EmbeddingScorer}: the {@link alloy.eval.Scorer} for encoders; each candidate
 *       is loaded, scored and freed within one call, tokenized splits are the only state kept.</li>
 * </ul>
 *
 * <p>Checked against ONNX Runtime on the real bge-small-en and e5-small-v2 files ({@code BertEncoderRealTest}:
 * cosine ≥ 0.9999 per text, measured 1 − cos ≈ 1e-12); {@code scripts/bench-encoder} times the encoder
 * against ONNX Runtime and candidate loading against scoring.
 */
package alloy.eval.embed;
