/**
 * Which scorer a checkpoint needs: sentence encoders (with their pooling profile) or causal LMs, told from what
 * the checkpoint says of itself. Above embed and gen, so that neither reaches back to it.
 */
package alloy.eval.family;
