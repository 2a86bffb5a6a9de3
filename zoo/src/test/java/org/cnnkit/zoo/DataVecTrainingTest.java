package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.Split;
import org.cnnkit.core.datavec.PipelineRecordReader;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cnnkit's trainer fed by DL4J's RecordReaderDataSetIterator over cnnkit's DataVec record reader. */
class DataVecTrainingTest {

    private static final InputShape SHAPE = new InputShape(24, 24, 1);

    @TempDir
    Path temp;

    @Test
    void trainsTheNotebookCnnFromRecordReaderDataSetIterators() {
        ImageFolder folder = ImageFolder.scan(ImageFolders.write(temp.resolve("images"), 30, 32, 1));
        Split split = Split.stratified(folder.images(), 0.25, 3);
        PipelineRecordReader trainReader = PipelineRecordReader.builder().setInputShape(SHAPE)
                .optShuffle(true).optSeed(3).build();
        trainReader.initialize(split.train(), folder.classNames());
        PipelineRecordReader validationReader = PipelineRecordReader.builder().setInputShape(SHAPE).build();
        validationReader.initialize(split.validation(), folder.classNames());

        TrainingResult result = ClassifierTrainer.builder()
                .setEpochs(4)
                .optNetwork(SeedCnn.NOTEBOOK)
                .optInputShape(SHAPE)
                .optLearningRate(3e-3)
                .optSeed(3)
                .build()
                .train(new RecordReaderDataSetIterator(trainReader, 8, 1, 3),
                        new RecordReaderDataSetIterator(validationReader, 8, 1, 3), folder.classNames());

        ClassificationMetrics validation = result.validation().orElseThrow();
        assertThat(validation.count()).isEqualTo(split.validation().size());
        assertThat(validation.accuracy()).isGreaterThanOrEqualTo(0.9);
        assertThat(result.history().epochs()).hasSize(4);
        assertThat(trainReader.epoch()).isEqualTo(3);
        assertThat(result.classifier().classNames()).isEqualTo(folder.classNames());
    }
}
