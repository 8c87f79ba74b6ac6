package alloy.merge;

/**
 * How the TIES family elects, per element, the sign that the merged task vector takes. Only deltas of that
 * sign are summed (and, with normalize, only their weights divide); a zero delta never agrees.
 * mergekit's get_mask: the elected sign is + when the statistic is >= 0, so a tie goes to +.
 */
public enum Consensus {
    /** No election: every (sparsified, weighted) delta is summed. task_arithmetic, dare_linear, breadcrumbs, della_linear. */
    NONE,
    /** Sign of the sum of weighted deltas (the TIES paper's "mass" election; mergekit's ConsensusMethod.sum). */
    SUM,
    /** Majority of the weighted deltas' signs, each counting one (mergekit's ConsensusMethod.count; its registry never uses it). */
    COUNT;

    /**
     * The elected sign (+1 or -1) from the sum of the weighted deltas and the sum of their signs.
     * @throws IllegalStateException for NONE, which elects nothing
     */
    int elect(float sum, int signs) {
        return switch (this) {
            case SUM -> sum >= 0f ? 1 : -1;
            case COUNT -> signs >= 0 ? 1 : -1;
            case NONE -> throw new IllegalStateException("consensus NONE elects no sign");
        };
    }
}
