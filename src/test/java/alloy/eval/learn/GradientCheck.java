package alloy.eval.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.DjlEngine;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Random;

/**
 * The gradient of a learn loss with respect to every merge coefficient against a central finite difference of
 * the same loss, every evaluation on the batch drawn with seed 0 (the gradient's and the differences' draws are
 * the same). Step and tolerance are the caller's: they depend on how much the loss bends.
 */
final class GradientCheck {

    private GradientCheck() {}

    /**
     * Asserts |fd - gradient| <= relative * |fd| + absolute for every coefficient (model-major, {@code anchors} per
     * model), and that some gradient exceeds 1e-2, so that the check is not run on values too small to tell.
     */
    static void check(MergedWeights w, LearnLoss loss, double h, double relative, double absolute, int anchors, String what) {
        NDArray p = w.parameter();
        float[] at = p.toFloatArray();
        float[] grad;
        p.setRequiresGradient(true);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            try (GradientCollector c = Engine.getEngine(DjlEngine.ENGINE).newGradientCollector()) {
                c.backward(loss.training(w.weights(), new Random(0)));
            }
            grad = p.getGradient().toFloatArray();
        }
        p.setRequiresGradient(false);
        boolean large = false;
        for (int i = 0; i < at.length; i++) {
            float[] plus = at.clone(), minus = at.clone();
            plus[i] += (float) h;
            minus[i] -= (float) h;
            double fd = (value(w, loss, plus) - value(w, loss, minus)) / (2 * h);
            assertEquals(fd, grad[i], relative * Math.abs(fd) + absolute, what + ": coefficient " + i + " (model " + i / anchors + ", anchor " + i % anchors + ")");
            large |= Math.abs(grad[i]) > 1e-2;
        }
        assertTrue(large, "a gradient large enough to check: " + Arrays.toString(grad));
    }

    /** The loss at {@code coefficients}, on the batch the gradient saw: same seed, same draw. */
    private static double value(MergedWeights w, LearnLoss loss, float[] coefficients) {
        w.parameter().set(coefficients);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return loss.training(w.weights(), new Random(0)).getFloat();
        }
    }
}
