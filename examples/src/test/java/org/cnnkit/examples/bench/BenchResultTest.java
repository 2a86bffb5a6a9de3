package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.junit.jupiter.api.Test;

class BenchResultTest {

    @Test
    void jsonLineHasThePeersKeysOrderSeparatorsAndRounding() {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("n", 100000);
        extra.put("dim", 4096);
        BenchResult result = new BenchResult("index-query-l2-100k-4096", 123.456789, "queries/s",
                "cnnkit 0.1.0 / dl4j 1.0.0-M2.1", 2048, extra);

        assertThat(result.toJsonLine()).isEqualTo("{\"workload\": \"index-query-l2-100k-4096\", \"value\": 123.46, "
                + "\"unit\": \"queries/s\", \"peer\": \"cnnkit 0.1.0 / dl4j 1.0.0-M2.1\", \"peak_rss_mib\": 2048, "
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
                "vgg16-fc2-224", "index-query-l2-100k-4096")
                .contains("pipeline-decode-augment-100", "pipeline-decode-augment-224");
        assertThat(Benchmark.select(List.of())).isEqualTo(Benchmark.workloadNames());
        assertThatThrownBy(() -> Benchmark.select(List.of("cnn-infer-100", "nope")))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("[nope]").hasMessageContaining("known");
    }

    @Test
    void topKFindsTheSmallestValuesNearestFirst() {
        float[] rows = {9, 1, 7, 3, 3, 0, 8, 2, 5, 4};
        int[] best = new int[3];

        IndexQueryWorkload.smallest(rows, 5, 5, best);

        assertThat(best).containsExactly(0, 2, 4);
    }

    @Test
    void mobileNetV2ChannelsAreRoundedLikeTorchvision() {
        assertThat(BenchNetworks.divisible(32 * 0.35)).isEqualTo(16);
        assertThat(BenchNetworks.divisible(16 * 0.35)).isEqualTo(8);
        assertThat(BenchNetworks.divisible(24 * 0.35)).isEqualTo(8);
        assertThat(BenchNetworks.divisible(1280)).isEqualTo(1280);
    }
}
