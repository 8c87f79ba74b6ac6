/**
 * mergekit-compatible recipes: YAML in and out ({@link alloy.recipe.RecipeYaml}), the plan (one step per output
 * tensor, data only; {@link alloy.recipe.Planner}) and its execution to disk or to memory
 * ({@link alloy.recipe.Executor}, {@link alloy.recipe.MergeRun}). Configure, then plan, then execute. Imports io,
 * arch, merge and tensor; never eval, search or cli.
 */
package alloy.recipe;
