package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.junit.jupiter.api.Test;

class FrozenWrappersTest {

    private final DenseLayer dense = new DenseLayer.Builder().nIn(3).nOut(2).build();

    @Test
    void aLayerThatWrapsNothingIsItself() {
        assertThat(FrozenWrappers.unwrap(dense)).isSameAs(dense);
    }

    @Test
    void frozenLayersOfBothKindsGiveTheLayerTheyWrap() {
        assertThat(FrozenWrappers.unwrap(new FrozenLayer(dense))).isSameAs(dense);
        assertThat(FrozenWrappers.unwrap(new FrozenLayerWithBackprop(dense))).isSameAs(dense);
    }

    @Test
    void nestedWrappersAreAllOpened() {
        assertThat(FrozenWrappers.unwrap(new FrozenLayer(new FrozenLayerWithBackprop(new FrozenLayer(dense)))))
                .isSameAs(dense);
    }

    @Test
    void frozenVerticesGiveTheVertexTheyWrap() {
        GraphVertex add = new ElementWiseVertex(ElementWiseVertex.Op.Add);

        assertThat(FrozenWrappers.unwrap(add)).isSameAs(add);
        assertThat(FrozenWrappers.unwrap(new FrozenVertex(new FrozenVertex(add)))).isSameAs(add);
    }
}
