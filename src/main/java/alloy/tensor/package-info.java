/**
 * Float32 tensors in native memory, dtypes and their codecs, and the merge kernels: Vector API kernels beside
 * plain scalar reference kernels that tests compare them with; workers reuse scratch arenas. Imports nothing
 * else of Alloy.
 */
package alloy.tensor;
