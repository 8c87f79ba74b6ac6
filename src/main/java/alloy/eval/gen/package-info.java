/**
 * Causal-LM scoring: greedy generation (exact match), log-likelihood multiple choice and perplexity, and the
 * decoder scorer over generation, choice and perplexity proxy sets.
 */
package alloy.eval.gen;
