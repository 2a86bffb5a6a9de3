package org.cnnkit.retrieval.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.StoreOptions;
import org.junit.jupiter.api.Test;

class HnswSettingsTest {

    @Test
    void defaultsArePgvectorsBuildParametersAndAWiderSearch() {
        HnswSettings settings = HnswSettings.of(StoreOptions.openExisting());

        assertThat(settings).isEqualTo(new HnswSettings(16, 64, 100));
    }

    @Test
    void efSearchIsRaisedToKAndCappedAtPgvectorsMaximum() {
        HnswSettings settings = HnswSettings.of(StoreOptions.builder().addParameter("ef-search", "40").build());

        assertThat(settings.efSearchFor(10)).isEqualTo(40);
        assertThat(settings.efSearchFor(250)).isEqualTo(250);
        assertThat(settings.efSearchFor(5_000)).isEqualTo(1_000);
    }

    @Test
    void efConstructionBelowTwiceMIsRefused() {
        StoreOptions options = StoreOptions.builder().addParameter("m", "48").addParameter("ef-construction", "64")
                .build();

        assertThatThrownBy(() -> HnswSettings.of(options)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("ef-construction=64").hasMessageContaining("2 m = 96");
    }

    @Test
    void aLargeMRaisesTheDefaultEfConstruction() {
        HnswSettings settings = HnswSettings.of(StoreOptions.builder().addParameter("m", "48").build());

        assertThat(settings.efConstruction()).isEqualTo(96);
    }
}
