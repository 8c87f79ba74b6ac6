package alloy.results;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One early-stopping check of a learning run: a line of checks.csv, whose columns after {@code best} are the
 * proxy sets' own stopping losses, in the order of the first check written.
 *
 * @param step         steps taken before the check (0: the starting coefficients)
 * @param stoppingLoss the loss on the slice of the search split kept out of training: the sets' mean
 * @param best         whether this check beat every earlier one (the last such check's coefficients are kept)
 * @param bySet        each set's own stopping loss
 */
public record LearnCheck(int step, double stoppingLoss, boolean best, Map<String, Double> bySet) {
    public LearnCheck {
        Check.nonNegative("early-stopping check", "step", step);
        Check.finiteOrNaN("early-stopping check " + step, "stopping_loss", stoppingLoss);
        Objects.requireNonNull(bySet, "early-stopping check " + step + ": bySet");
        for (Map.Entry<String, Double> e : bySet.entrySet()) {
            Check.nonBlank("early-stopping check " + step, "set name", e.getKey());
            if (Layout.CHECKS_HEADER.contains(e.getKey())) {
                throw new IllegalArgumentException("early-stopping check " + step + ": a set may not be called \"" + e.getKey() + "\"");
            }
            Objects.requireNonNull(e.getValue(), "early-stopping check " + step + ": " + e.getKey());
            Check.finiteOrNaN("early-stopping check " + step, e.getKey(), e.getValue());
        }
        bySet = Collections.unmodifiableMap(new LinkedHashMap<>(bySet));
    }
}
