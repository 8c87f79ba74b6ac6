/**
 * LoRA adapters in PEFT's layout: reading and checking them ({@link alloy.lora.LoraAdapter}), folding them into
 * a base model ({@link alloy.lora.LoraFold}: W' = W + sum_i w_i · scale_i · B_i·A_i, streamed into a full
 * checkpoint), and combining several into one adapter as PEFT's add_weighted_adapter does
 * ({@link alloy.lora.LoraCombine}: linear, cat, ties, dare_linear, dare_ties, magnitude_prune).
 *
 * <p>The product B·A has a blocked Vector API kernel and a plain twin ({@link alloy.lora.LoraKernels}). The
 * pruning of ties/dare reuses {@link alloy.merge.Sparsifier} and {@link alloy.merge.TaskArithmetic}; where
 * PEFT's arithmetic differs from mergekit's (TIES elects signs before weighting and averages by count; DARE
 * rescales by 1/density), this package follows PEFT, since its output is a PEFT adapter.
 *
 * <p>Data flow: io (checkpoints) → lora → io (writer). Nothing here knows about recipes beyond the shared
 * per-tensor seed derivation ({@link alloy.merge.TensorSeeds#of}).
 */
package alloy.lora;
