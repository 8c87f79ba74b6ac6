/**
 * Merge methods, one tensor at a time, with mergekit's names, parameters and defaults
 * ({@link alloy.merge.MergeMethods} lists them). The planner resolves parameter values per tensor and
 * fills defaults from each method's {@link alloy.merge.ParamSpec}s; a method sees only a
 * {@link alloy.merge.TensorTask}.
 *
 * <table>
 *   <caption>Methods</caption>
 *   <tr><th>name</th><th>base</th><th>global (default)</th><th>per model (default)</th></tr>
 *   <tr><td>linear</td><td>unused</td><td>normalize (true)</td><td>weight</td></tr>
 *   <tr><td>slerp</td><td>required, t = 0 end</td><td>t</td><td></td></tr>
 *   <tr><td>nuslerp</td><td>optional</td><td>nuslerp_flatten (true), nuslerp_row_wise (false)</td><td>weight</td></tr>
 *   <tr><td>passthrough</td><td>unused</td><td></td><td>scale (1)</td></tr>
 *   <tr><td>model_stock</td><td>required</td><td>filter_wise (false)</td><td></td></tr>
 *   <tr><td>karcher</td><td>optional, averaged with the models</td><td>max_iter (10), tol (1e-5)</td><td></td></tr>
 *   <tr><td>task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs, breadcrumbs_ties, della, della_linear</td>
 *       <td>required</td>
 *       <td>int8_mask (false), normalize, rescale (per method, as mergekit), lambda (1); sign_by_count (false) on
 *           those with a sign election</td>
 *       <td>weight, density (1); gamma (0.01) for breadcrumbs*, epsilon (0.15) for della*</td></tr>
 *   <tr><td>sce</td><td>required</td><td>int8_mask (false), select_topk (1)</td><td></td></tr>
 * </table>
 *
 * <p>Where Alloy departs from mergekit, on purpose (each documented at its class): masks of DARE and DELLA
 * come from a counter-based generator ({@link alloy.merge.CounterRandom}), reproducible but not torch's
 * bits; magnitude ties are broken by index; breadcrumbs on tensors with fewer than 1/gamma elements keeps
 * the top density instead of dropping everything; TIES with floor(density * n) = 0 drops everything instead of
 * failing an assertion; linear refuses to normalize weights summing to 0.
 *
 * <p>Performance: selections are O(n) radix histograms ({@link alloy.merge.MagnitudeOrder}), the TIES vote
 * and mask kernels use the Vector API with scalar twins, scratch lives in the task's arena and the heap holds
 * no whole-tensor arrays.
 */
package alloy.merge;
