/**
 * The project-trained decoder family: a tiny Llama-architecture base and experts fine-tuned from it with DJL
 * autograd, deterministic from a seed ({@code scripts/build-decoder-family}).
 */
package alloy.eval.train;
