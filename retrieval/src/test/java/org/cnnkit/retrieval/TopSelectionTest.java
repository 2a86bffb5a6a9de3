package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopSelectionTest {

    private static int[] kept(TopSelection selection) {
        return Arrays.copyOf(selection.rows(), selection.count());
    }

    @Test
    void keepsTheLowestScoresInOrderWithTiesRankedByRow() {
        TopSelection selection = new TopSelection(3);
        selection.offer(new float[] {5f, 1f, 3f, 1f, 0.5f, 3f}, 0, 6, 10, null);
        assertThat(kept(selection)).containsExactly(14, 11, 13);
    }

    @Test
    void addsTheBiasOfEachRow() {
        TopSelection selection = new TopSelection(2);
        float[] bias = {0f, 0f, 10f, -10f};
        selection.offer(new float[] {1f, 2f}, 0, 2, 2, bias);
        assertThat(kept(selection)).containsExactly(3, 2);
    }

    @Test
    void mergingPartsScannedInAnyOrderGivesTheSameSelectionAsOneScan() {
        Random random = new Random(5);
        float[] values = new float[4000];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(50); // many ties
        }
        TopSelection whole = new TopSelection(9);
        whole.offer(values, 0, values.length, 0, null);

        TopSelection early = new TopSelection(9);
        TopSelection late = new TopSelection(9);
        early.offer(values, 0, 1000, 0, null);
        late.offer(values, 1000, 3000, 1000, null);
        late.merge(early);

        assertThat(kept(late)).containsExactly(kept(whole));
        assertThat(kept(whole)).hasSize(9);
    }
}
