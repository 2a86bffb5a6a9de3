package org.cnnkit.retrieval.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Metric;
import org.junit.jupiter.api.Test;

class VectorColumnTest {

    @Test
    void typeFollowsPgvectorsIndexLimits() {
        assertThat(VectorColumn.forDimension(2_000, "c").sqlType()).isEqualTo("vector(2000)");
        assertThat(VectorColumn.forDimension(2_001, "c").sqlType()).isEqualTo("halfvec(2001)");
        assertThat(VectorColumn.forDimension(4_000, "c").operatorClass(Metric.COSINE))
                .isEqualTo("halfvec_cosine_ops");
        assertThat(VectorColumn.forDimension(128, "c").operatorClass(Metric.EUCLIDEAN)).isEqualTo("vector_l2_ops");
        assertThatThrownBy(() -> VectorColumn.forDimension(4_096, "collection 'x'"))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("4096-d").hasMessageContaining("PCA");
    }
}
