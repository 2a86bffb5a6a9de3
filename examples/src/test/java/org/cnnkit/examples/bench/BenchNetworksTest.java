package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceSession;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The network ids that the ONNX Runtime workloads pass to the exporting child JVM. */
class BenchNetworksTest {

    @Test
    void idsNameTheWorkloadsNetworksAndTheirInputShapes() {
        assertThat(BenchNetworks.network("cnn-100").shape()).isEqualTo(InputShape.rgb(100));
        assertThat(BenchNetworks.network("mnv2-folded-0.35-100").shape()).isEqualTo(InputShape.rgb(100));
        assertThat(BenchNetworks.network("mnv2-folded-1.0-224").shape()).isEqualTo(InputShape.rgb(224));
        assertThat(BenchNetworks.network("vgg16-fc2-224").shape()).isEqualTo(InputShape.rgb(224));
    }

    @Test
    void anUnknownIdIsRefusedWithTheKnownForms() {
        assertThatThrownBy(() -> BenchNetworks.network("mnv2-folded-x-100"))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("mnv2-folded-x-100").hasMessageContaining("mnv2-folded-<alpha>-<size>");
        assertThatThrownBy(() -> BenchNetworks.network("resnet-50")).isInstanceOf(CnnkitException.class);
    }

    @Test
    void theExportingChildJvmWritesAModelThatTheSessionOpens() {
        try (InferenceSession session = BenchNetworks.session(BenchNetworks.network("cnn-24"),
                InferenceEngine.ONNX_RUNTIME)) {
            assertThat(session.engine()).isEqualTo(InferenceEngine.ONNX_RUNTIME);
            assertThat(session.output(Nd4j.rand(DataType.FLOAT, 2, 3, 24, 24)).shape()).containsExactly(2, 3);
        }
    }
}
