package org.cnnkit.examples.serve;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.FeatureExtractor;

/** A cheap real extractor for server tests: the mean colour of each quarter of the image (12 values, 0 to 1). */
final class ColourLayoutExtractor implements FeatureExtractor {

    private final ImageDecoder decoder;

    ColourLayoutExtractor(long maxPixels) {
        this.decoder = new ImageDecoder(maxPixels);
    }

    ColourLayoutExtractor() {
        this(ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    @Override
    public String name() {
        return "colour-layout";
    }

    @Override
    public ExtractorIdentity identity() {
        return new ExtractorIdentity("test/colour-layout", "none", InputShape.rgb(16), Preprocessing.RESCALE, 12);
    }

    @Override
    public float[][] extract(List<Path> files, ProgressListener listener) {
        float[][] vectors = new float[files.size()][];
        for (int i = 0; i < files.size(); i++) {
            vectors[i] = extract(decoder.read(files.get(i)));
        }
        return vectors;
    }

    @Override
    public ExtractionResult extractReadable(List<Path> files, ProgressListener listener) {
        List<Path> read = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        List<ExtractionResult.SkippedFile> skipped = new ArrayList<>();
        for (Path file : files) {
            try {
                vectors.add(extract(decoder.read(file)));
                read.add(file);
            } catch (ImageDecodingException e) {
                String prefix = "cannot decode image " + file + ": ";
                skipped.add(new ExtractionResult.SkippedFile(file, e.getMessage().replace(prefix, "")));
            }
        }
        return new ExtractionResult(read, vectors.toArray(new float[0][]), skipped);
    }

    @Override
    public float[] extract(BufferedImage image) {
        float[] v = new float[12];
        int w = image.getWidth();
        int h = image.getHeight();
        int[] counts = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int q = (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1);
                int rgb = image.getRGB(x, y);
                v[q * 3] += ((rgb >> 16) & 0xff) / 255f;
                v[q * 3 + 1] += ((rgb >> 8) & 0xff) / 255f;
                v[q * 3 + 2] += (rgb & 0xff) / 255f;
                counts[q]++;
            }
        }
        for (int i = 0; i < 12; i++) {
            v[i] /= Math.max(1, counts[i / 3]);
        }
        return v;
    }
}
