package alloy.results;

/**
 * One merge coefficient of the winning recipe, as applied at one layer to one model: a line of
 * coefficients.csv. A gradient or a filtered parameter gives different values across layers; the report draws
 * them as a heatmap of layers by models, one per parameter.
 *
 * @param layer     the layer index (0-based)
 * @param model     the model as the recipe names it
 * @param parameter {@code weight}, {@code density}, ...
 */
public record Coefficient(int layer, String model, String parameter, double value) {
    public Coefficient {
        Check.nonNegative("coefficient", "layer", layer);
        Check.nonBlank("coefficient at layer " + layer, "model", model);
        Check.nonBlank("coefficient at layer " + layer + " of " + model, "parameter", parameter);
        Check.finite("coefficient " + parameter + " at layer " + layer + " of " + model, "value", value);
    }
}
