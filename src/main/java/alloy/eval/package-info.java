/**
 * Scoring candidates: the {@link alloy.eval.Scorer} interface and its result ({@link alloy.eval.TaskResult}),
 * with the model families in sub-packages (embed: sentence encoders; gen: causal LMs; model: the DJL forwards;
 * task: proxy sets; stats: intervals and paired tests; train: the decoder family; family: which scorer a
 * checkpoint needs). The only packages that import DJL. Nothing here knows about search or the command line.
 */
package alloy.eval;
