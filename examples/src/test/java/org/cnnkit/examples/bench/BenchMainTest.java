package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchMainTest {

    @Test
    void peerAsTheLastArgumentIsAUsageErrorNamingTheOption() {
        assertThatThrownBy(() -> BenchMain.Arguments.parse(new String[] {"cnn-infer-100", "--peer"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--peer needs a value");
    }

    @Test
    void parsesInProcessPeerAndWorkloadNames() {
        BenchMain.Arguments arguments = BenchMain.Arguments.parse(
                new String[] {"--in-process", "--peer", "torch 2.3", "cnn-infer-100", "vgg16-fc2-infer-224"});
        assertThat(arguments.inProcess()).isTrue();
        assertThat(arguments.peer()).isEqualTo("torch 2.3");
        assertThat(arguments.list()).isFalse();
        assertThat(arguments.names()).containsExactly("cnn-infer-100", "vgg16-fc2-infer-224");
        assertThat(BenchMain.Arguments.parse(new String[] {"--list", "--peer"}).list()).isTrue();
    }
}
