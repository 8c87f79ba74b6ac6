package alloy.eval.gen;

/** Score {@code continuation} given {@code context}, the unit of multiple-choice evaluation. */
public record LoglikelihoodRequest(String context, String continuation) {
    public LoglikelihoodRequest {
        if (context == null) throw new IllegalArgumentException("context must not be null");
        if (continuation == null || continuation.isEmpty()) throw new IllegalArgumentException("continuation must not be empty");
    }
}
