/**
 * What a tensor name says: its layer index, its role (embedding, attention, MLP, norm, head) and the layer
 * layout of a checkpoint, read from names and config.json so that any family merges without a table per
 * architecture. Imports io only.
 */
package alloy.arch;
