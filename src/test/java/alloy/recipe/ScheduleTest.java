package alloy.recipe;

import static org.junit.jupiter.api.Assertions.*;

import alloy.merge.Params;
import alloy.tensor.DType;
import alloy.tensor.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The order in which the executor hands tensors to its workers. */
class ScheduleTest {

    private static Plan.Step step(String name, long elements) {
        return new Plan.Step(name, Plan.Kind.COPY, Shape.of(elements), DType.F32, List.of(), Optional.empty(), Params.EMPTY, List.of(), 0);
    }

    @Test
    void smallTensorsWarmUpThenTheLargestGoFirst() {
        // an LLM's shape: one large embedding, one large lm_head, many layer tensors, a few norms
        List<Plan.Step> steps = new ArrayList<>();
        steps.add(step("embed", 1000));
        for (int i = 0; i < 20; i++) steps.add(step("layer" + i, 50));
        for (int i = 0; i < 4; i++) steps.add(step("norm" + i, 2));
        steps.add(step("lm_head", 1000));
        List<Plan.Step> order = Executor.schedule(steps);

        assertEquals(steps.size(), order.size());
        assertEquals(new HashSet<>(steps), new HashSet<>(order), "every tensor exactly once");
        long total = steps.stream().mapToLong(s -> s.shape().numel()).sum(), done = 0;
        int i = 0;
        // ascending while within the first quarter of the elements
        for (; i < order.size() && done + order.get(i).shape().numel() <= total / 4; i++) {
            if (i > 0) assertTrue(order.get(i - 1).shape().numel() <= order.get(i).shape().numel(), "warm-up ascends at " + i);
            done += order.get(i).shape().numel();
        }
        assertTrue(i > 4, "the norms and some layers warm up first, got " + i);
        // then descending: the two big tensors right after the warm-up
        assertEquals(1000, order.get(i).shape().numel());
        assertEquals(1000, order.get(i + 1).shape().numel());
        for (int j = i + 1; j < order.size(); j++) {
            assertTrue(order.get(j - 1).shape().numel() >= order.get(j).shape().numel(), "largest first after the warm-up, at " + j);
        }
    }

    @Test
    void fewTensorsStillAllRun() {
        assertEquals(List.of(), Executor.schedule(List.of()));
        Plan.Step one = step("only", 7);
        assertEquals(List.of(one), Executor.schedule(List.of(one)));
    }
}
