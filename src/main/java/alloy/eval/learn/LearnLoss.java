package alloy.eval.learn;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Random;

/**
 * What {@code alloy learn} minimises, given merged weights by tensor name: a training loss on a batch drawn
 * from the training part of the search split, and a stopping loss on the slice of the search split kept
 * apart for early stopping. The held-out split never reaches a loss.
 */
public sealed interface LearnLoss permits DecoderLoss, EncoderLoss {

    /** The training loss of one batch drawn with {@code random}, a scalar that autograd can differentiate. */
    NDArray training(Map<String, NDArray> weights, Random random);

    /**
     * The loss on each set's stopping slice (no gradient needed), by set name, for the sets that have one: what
     * each set gives up or gains shows here even when the mean hides it.
     */
    Map<String, Double> stoppingBySet(Map<String, NDArray> weights);

    /** The loss on the whole stopping slice: the equal-weight mean of the sets' stopping losses. */
    static double mean(Map<String, Double> bySet) {
        if (bySet.isEmpty()) throw new IllegalStateException("no set has enough examples kept for early stopping");
        return bySet.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    /** A one-line account for the log: what the loss is and how many items each part has. */
    String describe();

    /** The entropy term's weight is a finite number >= 0, and a loss without labels has an entropy term. */
    static void checkEntropy(double entropyWeight, boolean supervised) {
        if (!(entropyWeight >= 0) || !Double.isFinite(entropyWeight)) throw new IllegalArgumentException("entropy weight must be >= 0, found " + entropyWeight);
        if (!supervised && entropyWeight == 0) throw new IllegalArgumentException("an unsupervised loss needs an entropy weight > 0");
    }
}
