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
        QueryExpansion reranking = new QueryExpansion(7, 2.5, 0.6, 0.3, 50);
        assertThat(QueryExpansion.parse(reranking.toProperty())).isEqualTo(reranking);
        assertThat(QueryExpansion.defaults().toProperty())
                .isEqualTo("alpha-qe neighbours=10 alpha=3.0 pin=1.0 rank=0.25 pool=30");
        assertThat(QueryExpansion.defaults().toString())
                .isEqualTo("alpha-QE(10, 3) + pin(1), re-ranking 30 in 0.25 of the dimensions");
    }

    @Test
    void aPropertyWrittenBeforeReRankingReadsAsTheSecondSearchItWasAndIsWrittenBackTheSame() {
        String old = "alpha-qe neighbours=5 alpha=3.0 pin=1.0";
        QueryExpansion expansion = QueryExpansion.parse(old);
        assertThat(expansion).isEqualTo(new QueryExpansion(5, 3, 1, 1, 0));
        assertThat(expansion.toProperty()).isEqualTo(old);
        assertThat(expansion.toString()).isEqualTo("alpha-QE(5, 3) + pin(1)");
    }

    @Test
    void rankingWithPartOfTheDimensionsNeedsAPoolAndThePoolIsBounded() {
        assertThatThrownBy(() -> new QueryExpansion(5, 3, 1, 0.5, 0)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("pool");
        assertThatThrownBy(() -> new QueryExpansion(5, 3, 1, 0, 100)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> new QueryExpansion(5, 3, 1, 0.5, QueryExpansion.MAX_POOL + 1))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("pool");
        assertThatThrownBy(() -> QueryExpansion.parse("alpha-qe neighbours=5 alpha=3 pin=1 rank=0.5"))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("rank=S pool=P");
        assertThat(QueryExpansion.defaults().rankDimensions(68)).isEqualTo(17);
        assertThat(QueryExpansion.defaults().rankDimensions(40)).isEqualTo(QueryExpansion.MIN_RANK_DIMENSIONS);
        assertThat(QueryExpansion.defaults().rankDimensions(3)).isEqualTo(3);
    }

    @Test
    void theReRankingComparesTheLeadingDimensionsAndThePinKeepsTheWholeSpacesNearestFirst() {
        // Raw 40-d vectors; the re-ranking compares the leading 20 (half). In the whole space B is the query's nearest
        // (distance 0.32, A is at 0.8); in the leading dimensions A points exactly where the query does, B does not.
        VectorStore store = ExactVectorStore.inMemory(new StoreSchema(40, Metric.EUCLIDEAN, List.of(),
                Optional.empty(), Map.of()));
        store.write(StoreBatch.builder().addPut("A", vector(0, 1f, 30, 0.8f), null)
                .addPut("B", vector(0, 0.9f, 1, 0.3f), null)
                .addPut("C", vector(1, 1f, 31, 1f), null).build());
        float[][] query = {vector(0, 1f, 1, 0f)};

        List<Match> whole = new QueryExpansion(1, 100, 0, 1, 10).search(store, query, 3).get(0);
        List<Match> leading = new QueryExpansion(1, 100, 0, 0.5, 10).search(store, query, 3).get(0);
        List<Match> pinned = new QueryExpansion(1, 100, 1, 0.5, 10).search(store, query, 3).get(0);

        assertThat(whole.stream().map(Match::id)).containsExactly("B", "A", "C");
        assertThat(leading.stream().map(Match::id)).containsExactly("A", "B", "C");
        assertThat(pinned.stream().map(Match::id)).containsExactly("B", "A", "C");
        assertThat(new QueryExpansion(1, 100, 0, 0.5, 10).searchById(store, "B", 5).stream().map(Match::id))
                .containsExactly("A", "C");
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

    /** A 40-d vector with two non-zero values. */
    private static float[] vector(int i, float a, int j, float b) {
        float[] v = new float[40];
        v[i] = a;
        v[j] = b;
        return v;
    }
}
