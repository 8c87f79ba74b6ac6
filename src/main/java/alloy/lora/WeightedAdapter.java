package alloy.lora;

import java.util.Objects;

/** An adapter with the weight it enters a fold or a combination with (PEFT's add_weighted_adapter {@code weights}). */
public record WeightedAdapter(LoraAdapter adapter, double weight) {
    public WeightedAdapter {
        Objects.requireNonNull(adapter, "adapter");
        if (!Double.isFinite(weight)) throw new IllegalArgumentException(adapter.label() + ": weight must be finite, got " + weight);
    }
}
