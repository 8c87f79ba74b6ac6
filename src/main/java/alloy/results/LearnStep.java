package alloy.results;

/**
 * One Adam step of a learning run: a line of loss.csv.
 *
 * @param step         1 for the first step
 * @param trainingLoss the loss of the step's batch (training part of the search split)
 * @param gradientNorm the norm of the coefficients' gradient at that step
 * @param seconds      the step's wall time
 */
public record LearnStep(int step, double trainingLoss, double gradientNorm, double seconds) {
    public LearnStep {
        Check.nonNegative("learning step", "step", step);
        Check.finiteOrNaN("learning step " + step, "training_loss", trainingLoss);
        Check.finiteOrNaN("learning step " + step, "gradient_norm", gradientNorm);
        Check.finiteOrNaN("learning step " + step, "seconds", seconds);
    }
}
