/**
 * The pre-merge compatibility report of {@code alloy inspect}: per-layer weight cosines, or task-vector norms,
 * cosines and sign conflicts against a base.
 */
package alloy.inspect;
