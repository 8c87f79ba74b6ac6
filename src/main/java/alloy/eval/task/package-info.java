/**
 * Proxy sets: small, fixed item sets a candidate merge is scored on, each a folder
 * {@code proxy-tasks/<name>/} with a {@code manifest.json} and one JSONL file per {@link alloy.eval.task.Split}.
 *
 * <table>
 *   <caption>Kinds</caption>
 *   <tr><th>kind</th><th>line</th><th>metrics</th></tr>
 *   <tr><td>retrieval</td><td>{"id","query","passage"[,"domain"]}, and pool-only passages {"id","passage"[,"domain"]}; the
 *       pool is every passage of the split</td><td>recall@1, mrr, ndcg@10</td></tr>
 *   <tr><td>pairs</td><td>{"id","a","b","score"[,"domain"]}, score a 0-5 judgement</td><td>spearman</td></tr>
 *   <tr><td>choice</td><td>{"id","context","choices":[...],"answer":index}</td><td>acc, acc_norm</td></tr>
 *   <tr><td>generation</td><td>{"id","prompt","answer"}; the manifest adds max_tokens and stop</td><td>exact_match</td></tr>
 *   <tr><td>perplexity</td><td>{"id","text"}</td><td>ppl</td></tr>
 * </table>
 *
 * <p>The manifest names the set (its folder's name), the kind, the primary metric and all metrics, a
 * description, and the split files: search and heldout always, validation optionally ({@link alloy.eval.task.Split}).
 * It may also declare the set's domains, how a split is averaged ({@link alloy.eval.task.Weighting}: per item or per
 * domain), how the set was written (provenance), and the size of each split and of each retrieval pool, which the
 * loader checks against the files. How an encoder pools or prefixes its inputs is the model's business and is
 * not stored with the data. {@link alloy.eval.task.ProxyTasks} reads sets strictly and writes them in canonical
 * form; {@link alloy.eval.task.SkillSets} generates the decoder skill sets and the trainer's data from one
 * generator, keeping them apart by a hash partition of each skill's input space ({@link alloy.eval.task.Skill}).
 */
package alloy.eval.task;
