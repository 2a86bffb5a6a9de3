package org.cnnkit.examples.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.Split;
import org.cnnkit.core.datavec.PipelineRecordReader;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.examples.cli.Cli;
import org.cnnkit.zoo.ClassifierTrainer;
import org.cnnkit.zoo.SeedCnn;
import org.cnnkit.zoo.TrainingResult;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.deeplearning4j.datasets.iterator.AsyncDataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * The notebook CNN trained on a class-per-folder tree twice over: through cnnkit's own {@code ImageDataSetIterator}
 * ({@code ClassifierTrainer.train(folder)}), or through DL4J's {@link RecordReaderDataSetIterator} over cnnkit's
 * {@link PipelineRecordReader}, on the same stratified split, seed, augmentation and batch size. One mode per
 * process, so that two runs can be timed back to back:
 * <pre>
 * java -cp "examples/target/cnnkit.jar:examples/target/lib/*" org.cnnkit.examples.bench.RecordReaderTraining \
 *     MODE DIGITS_DIR [IMAGE_SIZE [EPOCHS [SEED]]]
 * </pre>
 * {@code MODE} is {@code cnnkit}, {@code datavec} (the record reader read on the training thread) or
 * {@code datavec-async} (the same inside DL4J's {@link AsyncDataSetIterator}, as {@code fit} wraps it). Prints one
 * JSON line: training images/s (training images x epochs over the training time, validation included) and the
 * validation accuracy after the last epoch. Defaults: 28x28, 3 epochs, seed 42, batch 32, 20% validation, the
 * notebook's augmentation.
 */
public final class RecordReaderTraining {

    private static final int BATCH = 32;
    private static final double VALIDATION = 0.2;

    private RecordReaderTraining() {
    }

    /**
     * Runs one mode.
     *
     * @param args {@code MODE DIGITS_DIR [IMAGE_SIZE [EPOCHS [SEED]]]}
     */
    public static void main(String[] args) {
        if (args.length < 2 || !List.of("cnnkit", "datavec", "datavec-async").contains(args[0])) {
            System.err.println("usage: RecordReaderTraining cnnkit|datavec|datavec-async DIGITS_DIR"
                    + " [IMAGE_SIZE [EPOCHS [SEED]]]");
            System.exit(2);
        }
        String mode = args[0];
        ImageFolder folder = ImageFolder.scan(Path.of(args[1]));
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 28;
        int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        long seed = args.length > 4 ? Long.parseLong(args[4]) : 42;
        InputShape shape = InputShape.rgb(size);
        Augmentation augmentation = Augmentation.notebookDigits();
        ClassifierTrainer trainer = ClassifierTrainer.builder().setEpochs(epochs).optNetwork(SeedCnn.NOTEBOOK)
                .optInputShape(shape).optBatchSize(BATCH).optValidationSplit(VALIDATION).optSeed(seed)
                .optAugmentation(augmentation).build();
        Split split = Split.stratified(folder.images(), VALIDATION, seed);

        TrainingResult result;
        if (mode.equals("cnnkit")) {
            result = trainer.train(folder);
        } else {
            PipelineRecordReader trainReader = PipelineRecordReader.builder().setInputShape(shape)
                    .optAugmentation(augmentation).optShuffle(true).optSeed(seed).build();
            trainReader.initialize(split.train(), folder.classNames());
            PipelineRecordReader validationReader = PipelineRecordReader.builder().setInputShape(shape).build();
            validationReader.initialize(split.validation(), folder.classNames());
            int classes = folder.numClasses();
            DataSetIterator train = new RecordReaderDataSetIterator(trainReader, BATCH, 1, classes);
            DataSetIterator validation = new RecordReaderDataSetIterator(validationReader, BATCH, 1, classes);
            if (mode.equals("datavec-async")) {
                train = new AsyncDataSetIterator(train, 4);
                validation = new AsyncDataSetIterator(validation, 4);
            }
            result = trainer.train(train, validation, folder.classNames());
        }
        double seconds = result.history().seconds();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("mode", mode);
        extra.put("image_size", size);
        extra.put("epochs", epochs);
        extra.put("seed", seed);
        extra.put("train_images", split.train().size());
        extra.put("validation_accuracy", result.validation().orElseThrow().accuracy());
        extra.put("seconds", seconds);
        System.out.println(new BenchResult("cnn-train-" + mode, split.train().size() * (double) epochs / seconds,
                "images/s", Benchmark.peer(Cli.version()), PeakMemory.peakRssMib(), extra).toJsonLine());
    }
}
