/**
 * Whole models as DJL NDArray forwards on the PyTorch engine: BERT encoders and Llama-family decoders (with a
 * KV cache), their configs, weights loaded from any {@link alloy.io.Checkpoint}, and tokenizers.
 */
package alloy.eval.model;
