package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/** The pipeline on the real Corel-1K JPEGs of the shared assets; skipped where they are absent. */
class RealImagesPipelineTest {

    private static Path corel() {
        Path corel = Path.of(System.getProperty("cnnkit.assets", "../shared/assets")).resolve("corel1k");
        Assumptions.assumeTrue(Files.isDirectory(corel), "cnnkit.assets not found at " + corel + ": skipping");
        return corel;
    }

    @Test
    void corelFolderScansToTenClassesOfOneHundred() {
        ImageFolder folder = ImageFolder.scan(corel());
        assertThat(folder.classNames()).containsExactly("africa", "beach", "buildings", "buses", "dinosaurs",
                "elephants", "flowers", "food", "horses", "mountains");
        assertThat(folder.countsPerClass().values()).containsOnly(100);
    }

    @Test
    void corelPhotosFlowThroughTheIteratorWithoutSkips() {
        ImageFolder folder = ImageFolder.scan(corel());
        Split split = Split.stratified(folder.images(), 0.97, 1); // 3 training photos per class
        List<DataSet> batches = new ArrayList<>();
        try (ImageDataSetIterator iterator = ImageDataSetIterator.builder()
                .setImages(split.train())
                .setNumClasses(folder.numClasses())
                .setInputShape(InputShape.rgb(64))
                .optPreprocessing(Preprocessing.MOBILENET_V2)
                .optAugmentation(Augmentation.notebookDigits())
                .optBatchSize(16)
                .build()) {
            while (iterator.hasNext()) {
                batches.add(iterator.next());
            }
            assertThat(iterator.skippedFiles()).isEmpty();
        }
        assertThat(batches.stream().mapToInt(DataSet::numExamples).sum()).isEqualTo(30);
        for (DataSet batch : batches) {
            assertThat(batch.getFeatures().shape()).containsExactly(batch.numExamples(), 3, 64, 64);
            assertThat(batch.getFeatures().minNumber().doubleValue()).isGreaterThanOrEqualTo(-1.0);
            assertThat(batch.getFeatures().maxNumber().doubleValue()).isLessThanOrEqualTo(1.0);
            // real photos: values spread over the range, not a constant
            assertThat(batch.getFeatures().stdNumber().doubleValue()).isGreaterThan(0.1);
        }
    }
}
