/**
 * From what a user writes (a path, a Maven coordinate, a Hugging Face cache name) to an open checkpoint of any
 * format. Above io and io.onnx, so that the formats never depend on each other.
 */
package alloy.io.resolve;
