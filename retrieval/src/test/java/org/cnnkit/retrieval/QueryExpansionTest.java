package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.ExactVectorStore;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.VectorStore;
import org.junit.jupiter.api.Test;

class QueryExpansionTest {

    @Test
    void thePropertyRoundTrips() {
        QueryExpansion expansion = new QueryExpansion(7, 2.5, 0.6);
        assertThat(QueryExpansion.parse(expansion.toProperty())).isEqualTo(expansion);
        assertThat(QueryExpansion.defaults().toString()).isEqualTo("alpha-QE(5, 3) + pin(1)");
    }

    @Test
    void aDamagedPropertyOrBadParametersAreRefusedWithTheReason() {
        assertThatThrownBy(() -> QueryExpansion.parse("average k=3")).isInstanceOf(CnnkitException.class)
                .hasMessageContaining(QueryExpansion.PROPERTY);
        assertThatThrownBy(() -> QueryExpansion.parse("alpha-qe neighbours=x alpha=3 pin=0.7"))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("bad number");
        assertThatThrownBy(() -> new QueryExpansion(0, 3, 0.7)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("neighbours");
        assertThatThrownBy(() -> new QueryExpansion(5, 3, 1.5)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("[0, 1]");
    }

    @Test
    void theExpansionPullsTheRankingTowardsTheQuerysNeighbours() {
        // Raw 2-d vectors: the query (0, 0) is as near to A (1, 0) as to B (0, 1.05), but its nearest neighbours
        // lie beyond A; expanding with them ranks A before B, a single search ranks them by distance alone.
        VectorStore store = ExactVectorStore.inMemory(new StoreSchema(2, Metric.EUCLIDEAN, List.of(),
                Optional.empty(), Map.of()));
        StoreBatch.Builder batch = StoreBatch.builder().addPut("A", new float[] {1f, 0f}, null)
                .addPut("B", new float[] {0f, 1.0f}, null);
        for (int i = 0; i < 4; i++) {
            batch.addPut("far" + i, new float[] {0.95f + 0.01f * i, -0.3f}, null);
        }
        store.write(batch.build());
        float[][] query = {{0.01f, 0.02f}};
        assertThat(store.search(query, 1).get(0).get(0).id()).isEqualTo("B");
        List<Match> expanded = new QueryExpansion(3, 0, 0).search(store, query, 6).get(0);
        assertThat(expanded.get(0).id()).isNotEqualTo("B");
        assertThat(expanded.stream().map(Match::id).toList()).contains("A", "B").doesNotHaveDuplicates();
    }
}
