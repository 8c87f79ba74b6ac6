/**
 * Checkpoint formats: safetensors files (memory-mapped, one Arena per open checkpoint), sharded checkpoints,
 * merge results in memory, and the atomic writer with its output rules ({@link alloy.io.OutputTarget},
 * {@link alloy.io.StagedOutput}). ONNX lives in io.onnx; opening whatever a user names lives in io.resolve.
 */
package alloy.io;
