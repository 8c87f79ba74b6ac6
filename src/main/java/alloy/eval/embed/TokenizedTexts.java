package alloy.eval.embed;

import alloy.eval.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Texts tokenized once (with a profile's prefix) and kept for every candidate: tokenization does not
 * depend on the weights, so a search encodes the same token ids again and again. Also holds the order in
 * which to batch them: longest first, so that texts of similar length share a batch and padding stays small.
 *
 * @param texts the tokenized texts, in the caller's order
 * @param byLength indices into {@code texts}, longest first (ties in the caller's order)
 * @param padId the tokenizer's pad id, to batch them with
 */
public record TokenizedTexts(List<TextTokenizer.Encoded> texts, int[] byLength, long padId) {

    public TokenizedTexts {
        texts = List.copyOf(texts);
        byLength = byLength.clone();
        if (byLength.length != texts.size()) {
            throw new IllegalArgumentException("length order has " + byLength.length + " entries for " + texts.size() + " texts");
        }
    }

    /** {@code prefix + text} for each text, tokenized by {@code tokenizer}. */
    public static TokenizedTexts of(TextTokenizer tokenizer, List<String> texts, String prefix) {
        List<String> prefixed = new ArrayList<>(texts.size());
        for (String t : texts) prefixed.add(prefix + t);
        return of(tokenizer.encodeAll(prefixed), tokenizer.padId());
    }

    public static TokenizedTexts of(List<TextTokenizer.Encoded> encoded, long padId) {
        int[] order = IntStream.range(0, encoded.size()).boxed()
                .sorted(Comparator.comparingInt((Integer i) -> -encoded.get(i).length()))
                .mapToInt(Integer::intValue).toArray();
        return new TokenizedTexts(encoded, order, padId);
    }

    @Override public int[] byLength() { return byLength.clone(); }

    public int size() { return texts.size(); }

    /** Tokens over all texts (special tokens included, no padding). */
    public long tokens() { return texts.stream().mapToLong(TextTokenizer.Encoded::length).sum(); }
}
