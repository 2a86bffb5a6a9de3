package org.cnnkit.examples.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.datavec.PipelineRecordReader;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.datavec.api.io.labels.ParentPathLabelGenerator;
import org.datavec.api.records.reader.RecordReader;
import org.datavec.api.split.FileSplit;
import org.datavec.image.loader.NativeImageLoader;
import org.datavec.image.recordreader.ImageRecordReader;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * cnnkit's {@link PipelineRecordReader} against DataVec's own {@link ImageRecordReader} (OpenCV through
 * {@link NativeImageLoader}) on a class-per-folder tree such as Corel-1K, both reading every image once on one
 * thread, decoded and resized to SIZE x SIZE RGB with no preprocessing. One mode per process:
 * <pre>
 * java -cp EXAMPLES_TEST_CLASSPATH org.cnnkit.examples.bench.ImageRecordReaderComparison MODE FOLDER [SIZE]
 * </pre>
 * {@code cnnkit} and {@code datavec} print images/s of a full pass after a warm-up pass over the first 50 images;
 * {@code pixels} decodes every image both ways and prints how far the pixels are apart (DataVec's BGR planes
 * turned to RGB first). Kept out of the CLI and the tests: it needs datavec-data-image and OpenCV, which cnnkit does
 * not ship (see docs/design.md, "DataVec").
 */
public final class ImageRecordReaderComparison {

    private ImageRecordReaderComparison() {
    }

    /**
     * Runs one mode.
     *
     * @param args {@code cnnkit|datavec|pixels FOLDER [SIZE]}
     * @throws Exception if reading fails
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path folder = Path.of(args[1]);
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 224;
        if (mode.equals("pixels")) {
            comparePixels(folder, size);
            return;
        }
        RecordReader reader = mode.equals("cnnkit") ? cnnkitReader(folder, size) : dataVecReader(folder, size);
        int warm = 0;
        while (reader.hasNext() && warm < 50) {
            reader.next();
            warm++;
        }
        reader.reset();
        long start = System.nanoTime();
        int images = 0;
        while (reader.hasNext()) {
            reader.next();
            images++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "{\"reader\": \"%s\", \"size\": %d, \"images\": %d, \"seconds\": %.2f,"
                + " \"images_per_second\": %.1f}%n", mode, size, images, seconds, images / seconds);
    }

    private static RecordReader cnnkitReader(Path folder, int size) throws Exception {
        PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(InputShape.rgb(size))
                .optPreprocessing(Preprocessing.NONE).optCacheDecoded(false).build(); // decode as read, one thread
        reader.initialize(new FileSplit(folder.toFile()));
        return reader;
    }

    private static RecordReader dataVecReader(Path folder, int size) throws Exception {
        ImageRecordReader reader = new ImageRecordReader(size, size, 3, new ParentPathLabelGenerator());
        reader.initialize(new FileSplit(folder.toFile(), NativeImageLoader.ALLOWED_FORMATS));
        return reader;
    }

    private static void comparePixels(Path folder, int size) throws Exception {
        List<LabeledImage> images = ImageFolder.scan(folder).images();
        ImageDecoder decoder = new ImageDecoder();
        NativeImageLoader loader = new NativeImageLoader(size, size, 3);
        double sumAbs = 0;
        double max = 0;
        long within2 = 0;
        long values = 0;
        for (LabeledImage image : images) {
            float[] ours = decoder.decode(image.path(), InputShape.rgb(size));
            INDArray theirs = loader.asMatrix(new File(image.path().toString()));   // [1, 3, h, w], BGR
            int plane = size * size;
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < plane; i++) {
                    double d = Math.abs(ours[c * plane + i] - theirs.getDouble(0, 2 - c, i / size, i % size));
                    sumAbs += d;
                    max = Math.max(max, d);
                    within2 += d <= 2 ? 1 : 0;
                    values++;
                }
            }
        }
        System.out.printf(Locale.ROOT, "{\"images\": %d, \"size\": %d, \"mean_abs_difference\": %.2f,"
                + " \"max_abs_difference\": %.0f, \"share_within_2\": %.4f}%n", images.size(), size,
                sumAbs / values, max, within2 / (double) values);
    }
}
