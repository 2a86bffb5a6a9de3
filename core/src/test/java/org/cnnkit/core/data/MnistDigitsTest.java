package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MnistDigitsTest {

    /** 1x1 images whose single pixel equals the image's position, with the given labels. */
    private static MnistDigits digits(int... labels) {
        byte[] pixels = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            pixels[i] = (byte) i;
        }
        return MnistDigits.of(1, 1, pixels, labels);
    }

    @Test
    void onlyClassesKeepsTheChosenLabelsInOrderAndRemembersSourceIndices() {
        MnistDigits all = digits(3, 0, 1, 3, 2, 1);

        MnistDigits some = all.onlyClasses(Set.of(1, 3));

        assertThat(some.labels()).containsExactly(3, 1, 3, 1);
        assertThat(some.sourceIndex(1)).isEqualTo(2);
        assertThat(some.pixel(3, 0, 0)).isEqualTo(5);
        assertThat(some.countsByClass()).containsExactly(entry(1, 2), entry(3, 2));
    }

    @Test
    void balancedLimitSharesTheLimitEquallyAndTakesTheFirstImagesOfEachClass() {
        MnistDigits all = digits(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2);

        MnistDigits limited = all.balancedLimit(7);

        // 7 over 3 classes: 3 for label 0 (the remainder goes to the smallest labels), 2 each for 1 and 2
        assertThat(limited.countsByClass()).containsExactly(entry(0, 3), entry(1, 2), entry(2, 2));
        assertThat(limited.size()).isEqualTo(7);
        assertThat(limited.sourceIndex(0)).isZero();
        assertThat(limited.sourceIndex(3)).isEqualTo(4);
        assertThat(limited.sourceIndex(5)).isEqualTo(8);
    }

    @Test
    void balancedLimitGivesTheShareOfASmallClassToTheOthers() {
        MnistDigits all = digits(0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2);

        MnistDigits limited = all.balancedLimit(9);

        assertThat(limited.countsByClass()).containsExactly(entry(0, 1), entry(1, 4), entry(2, 4));
    }

    @Test
    void balancedLimitIsDeterministic() {
        MnistDigits all = digits(2, 1, 0, 2, 1, 0, 2, 1, 0, 0);

        assertThat(all.balancedLimit(5).labels()).containsExactly(all.balancedLimit(5).labels());
        assertThat(all.balancedLimit(100)).isSameAs(all);
    }

    @Test
    void ofCopiesItsInputAndImageReturnsCopies() {
        byte[] pixels = {1, 2, 3, 4};
        int[] labels = {5};
        MnistDigits digits = MnistDigits.of(2, 2, pixels, labels);
        pixels[0] = 99;
        labels[0] = 6;
        digits.image(0)[1] = 77;

        assertThat(digits.image(0)).containsExactly(1, 2, 3, 4);
        assertThat(digits.label(0)).isEqualTo(5);
    }

    @Test
    void ofRefusesAPixelCountThatDoesNotMatch() {
        assertThatThrownBy(() -> MnistDigits.of(2, 2, new byte[7], new int[2]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 8 pixels");
    }

    @Test
    void emptyClassListAndBadLimitAreRefused() {
        MnistDigits all = digits(0, 1);
        assertThatThrownBy(() -> all.onlyClasses(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> all.balancedLimit(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
