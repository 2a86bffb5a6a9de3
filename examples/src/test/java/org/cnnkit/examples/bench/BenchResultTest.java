package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.FeatureIndex;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.zoo.MobileNetV2;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.api.Test;

class BenchResultTest {

    @Test
    void jsonLineHasThePeersKeysOrderSeparatorsAndRounding() {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("n", 100000);
        extra.put("dim", 4096);
        BenchResult result = new BenchResult("index-query-l2-100k-4096", 123.456789, "queries/s",
                "cnnkit 0.2.0 / dl4j 1.0.0-M2.1", 2048, extra);

        assertThat(result.toJsonLine()).isEqualTo("{\"workload\": \"index-query-l2-100k-4096\", \"value\": 123.46, "
                + "\"unit\": \"queries/s\", \"peer\": \"cnnkit 0.2.0 / dl4j 1.0.0-M2.1\", \"peak_rss_mib\": 2048, "
                + "\"n\": 100000, \"dim\": 4096}");
    }

    @Test
    void wholeValuesPrintLikePythonFloats() {
        BenchResult result = new BenchResult("cnn-infer-100", 612.0, "images/s", "p", 1, Map.of("batch", 32));

        assertThat(result.toJsonLine()).contains("\"value\": 612.0,").endsWith("\"batch\": 32}");
    }

    @Test
    void aNonFiniteValueIsRefused() {
        assertThatThrownBy(() -> new BenchResult("w", Double.NaN, "images/s", "p", 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w");
    }

    @Test
    void peakMemoryIsReadFromVmHwmInKilobytes() {
        assertThat(PeakMemory.parseVmHwmMib(List.of("Name:\tjava", "VmPeak:\t 9999999 kB", "VmHWM:\t  524800 kB")))
                .isEqualTo(513);
        assertThat(PeakMemory.parseVmHwmMib(List.of("Name:\tjava"))).isEqualTo(-1);
        assertThat(PeakMemory.peakRssMib()).isPositive();
    }

    @Test
    void workloadsHaveThePeersNamesFirstThenThePipelines() {
        assertThat(Benchmark.workloadNames()).startsWith("cnn-train-100", "cnn-infer-100", "mnv2-a1.0-infer-224",
                "mnv2-a1.0-infer-100", "mnv2-a0.35-infer-224", "mnv2-a0.35-infer-100", "mnv2-a1.0-frozen-train-100",
                "mnv2-a0.35-finetune-100",
                "vgg16-fc2-224", "index-query-l2-100k-4096")
                .contains("pipeline-decode-augment-100", "pipeline-decode-augment-224");
        assertThat(Benchmark.select(List.of())).isEqualTo(Benchmark.workloadNames());
        assertThatThrownBy(() -> Benchmark.select(List.of("cnn-infer-100", "nope")))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("[nope]").hasMessageContaining("known");
    }

    @Test
    void indexWorkloadFillsTheLibraryIndexAndFindsAStoredVectorFirst() {
        FeatureIndex index = IndexQueryWorkload.filledIndex(25, 8);

        assertThat(index.size()).isEqualTo(25);
        assertThat(index.metric()).isEqualTo(Metric.EUCLIDEAN);
        float[] stored = index.vector("17").orElseThrow();
        List<Match> matches = index.search(stored, 4);
        assertThat(matches).hasSize(4);
        assertThat(matches.get(0).id()).isEqualTo("17");
        assertThat(matches.get(0).distance()).isLessThan(1e-3f);
    }

    @Test
    void mobileNetV2WorkloadsUseTheZooNetworkEndingAtOutRelu() {
        ComputationGraph features = BenchNetworks.mobileNetV2Features(0.35, 32);
        ComputationGraph pooled = MobileNetV2.withGlobalAveragePooling(features);
        ComputationGraph head = BenchNetworks.transferHead(1280, 3);

        assertThat(features.getConfiguration().getNetworkOutputs()).containsExactly(MobileNetV2.OUTPUT_NAME);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32).muli(255);
        INDArray pooledFeatures = pooled.outputSingle(false, x);
        assertThat(pooledFeatures.shape()).containsExactly(2, 1280);
        assertThat(head.outputSingle(false, pooledFeatures).shape()).containsExactly(2, 3);
    }
}
