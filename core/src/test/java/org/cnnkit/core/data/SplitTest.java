package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SplitTest {

    /** 100 images of class 0, 50 of class 1, 7 of class 2, 1 of class 3, interleaved. */
    private static List<LabeledImage> images() {
        List<LabeledImage> images = new ArrayList<>();
        int[] counts = {100, 50, 7, 1};
        for (int label = 0; label < counts.length; label++) {
            for (int i = 0; i < counts[label]; i++) {
                images.add(new LabeledImage(Path.of("c" + label, i + ".png"), label));
            }
        }
        return images;
    }

    @Test
    void eachClassSendsRoundedFractionToValidationKeepingOneForTraining() {
        Split split = Split.stratified(images(), 0.2, 42);
        assertThat(countByLabel(split.validation())).containsEntry(0, 20L).containsEntry(1, 10L)
                .containsEntry(2, 1L).doesNotContainKey(3);
        assertThat(countByLabel(split.train())).containsEntry(0, 80L).containsEntry(1, 40L)
                .containsEntry(2, 6L).containsEntry(3, 1L);
    }

    @Test
    void trainAndValidationAreDisjointAndCoverEveryImage() {
        Split split = Split.stratified(images(), 0.3, 7);
        Set<LabeledImage> train = new HashSet<>(split.train());
        assertThat(split.validation()).noneMatch(train::contains);
        assertThat(split.train().size() + split.validation().size()).isEqualTo(images().size());
        assertThat(new HashSet<>(split.train()).size()).isEqualTo(split.train().size());
    }

    @Test
    void sameSeedGivesTheSameSplitAndDifferentSeedsDiffer() {
        assertThat(Split.stratified(images(), 0.2, 1)).isEqualTo(Split.stratified(images(), 0.2, 1));
        assertThat(Split.stratified(images(), 0.2, 1).validation())
                .isNotEqualTo(Split.stratified(images(), 0.2, 2).validation());
    }

    @Test
    void listsKeepTheInputOrder() {
        List<LabeledImage> all = images();
        Split split = Split.stratified(all, 0.5, 3);
        assertThat(split.train()).isSortedAccordingTo((a, b) -> Integer.compare(all.indexOf(a), all.indexOf(b)));
        assertThat(split.validation()).isSortedAccordingTo((a, b) -> Integer.compare(all.indexOf(a), all.indexOf(b)));
    }

    @Test
    void zeroFractionGivesAnEmptyValidationSet() {
        Split split = Split.stratified(images(), 0.0, 1);
        assertThat(split.validation()).isEmpty();
        assertThat(split.train()).isEqualTo(images());
    }

    @Test
    void fractionOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> Split.stratified(images(), 1.0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> Split.stratified(images(), -0.1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Split.stratified(images(), Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Map<Integer, Long> countByLabel(List<LabeledImage> images) {
        return images.stream().collect(Collectors.groupingBy(LabeledImage::label, Collectors.counting()));
    }
}
