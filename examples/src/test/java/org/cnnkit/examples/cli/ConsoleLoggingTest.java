package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ConsoleLoggingTest {

    @Test
    void librariesChatterIsKeptToWarningsWhileCnnkitReportsAtInfo() {
        // jHDF logs every dataset it reads at INFO: about a thousand lines for one MobileNetV2 weights file.
        assertThat(LoggerFactory.getLogger("io.jhdf.dataset.DatasetBase").isInfoEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("org.nd4j.linalg.factory.Nd4jBackend").isInfoEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("org.deeplearning4j.nn.graph.ComputationGraph").isInfoEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("io.jhdf.HdfFile").isWarnEnabled()).isTrue();
        assertThat(LoggerFactory.getLogger("org.cnnkit.zoo.TransferLearner").isInfoEnabled()).isTrue();
    }
}
