package org.cnnkit.retrieval;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.PipelinedBatches;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;

/**
 * A seeded suite of near-duplicate queries made from a collection: a sample of its images, each copied once per
 * {@link Distortion} (a slight crop, a small rotation, a downscale, a low-quality JPEG re-save, a brightness and
 * contrast change, and all of them at once). Searching the collection with these copies tells whether a search finds
 * "this exact photo" first ({@link RetrievalEvaluation#nearDuplicates}). The same seed, sample size and collection give
 * the same copies, pixel for pixel.
 *
 * <p>Immutable and safe for many threads.
 */
public final class NearDuplicateSuite {

    /** The default number of sampled images. */
    public static final int DEFAULT_SAMPLE_SIZE = 100;

    /** The default seed. */
    public static final long DEFAULT_SEED = 14;

    private final long seed;
    private final int sampleSize;
    private final ImageDecoder decoder = new ImageDecoder();

    private NearDuplicateSuite(Builder builder) {
        this.seed = builder.seed;
        this.sampleSize = builder.sampleSize;
    }

    /** {@return a builder; every option has a default} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the seed of the sample and of every distortion's parameters} */
    public long seed() {
        return seed;
    }

    /** {@return how many images of the collection are sampled (fewer when the collection is smaller)} */
    public int sampleSize() {
        return sampleSize;
    }

    /**
     * Picks the sample: distinct positions in a collection, ascending, the same for the same seed and size.
     *
     * @param collectionSize the number of images in the collection
     * @return {@code min(sampleSize, collectionSize)} positions
     */
    public int[] sample(int collectionSize) {
        int[] order = new int[collectionSize];
        for (int i = 0; i < collectionSize; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        int count = Math.min(sampleSize, collectionSize);
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(collectionSize - i);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        int[] sample = Arrays.copyOf(order, count);
        Arrays.sort(sample);
        return sample;
    }

    /**
     * Makes one distorted copy of an image, with parameters drawn from the suite's seed, the image's position and the
     * distortion (so each copy is reproducible on its own).
     *
     * @param image the original pixels; not modified
     * @param position the image's position in the collection
     * @param distortion what to do
     * @return a new image
     */
    public BufferedImage distort(BufferedImage image, int position, Distortion distortion) {
        Random random = new Random(seed * 0x9E3779B97F4A7C15L + position * 31L + distortion.ordinal());
        BufferedImage rgb = toRgb(image);
        return switch (distortion) {
            case CROP -> crop(rgb, uniform(random, 0.05, 0.15), random);
            case ROTATION -> rotate(rgb, signedAngle(random));
            case DOWNSCALE -> scale(rgb, uniform(random, 0.5, 0.8));
            case JPEG -> jpeg(rgb, (float) uniform(random, 0.30, 0.70));
            case BRIGHTNESS_CONTRAST -> brightnessContrast(rgb, signed(random, 0.10), 1 + signed(random, 0.10));
            case COMBINED -> jpeg(brightnessContrast(scale(rotate(crop(rgb, uniform(random, 0.05, 0.15), random),
                    signedAngle(random)), uniform(random, 0.5, 0.8)), signed(random, 0.10), 1 + signed(random, 0.10)),
                    (float) uniform(random, 0.30, 0.70));
        };
    }

    /** How many sampled images are distorted and extracted together: 5 x 6 copies, about one network batch. */
    static final int IMAGES_PER_GROUP = 5;

    /**
     * Builds the queries: reads every sampled file, makes its distorted copies and extracts their features, a group of
     * sampled images at a time ({@link FeatureExtractor#extractImages}: their copies run through the network as one
     * batch), the next group read and distorted on a background thread while the network runs on this one. Unreadable
     * sampled files fail the suite (the collection's features were extracted from them).
     *
     * @param files the collection's images, in the order of its vectors
     * @param extractor the extractor the collection was indexed with
     * @param listener receives progress, in sampled images
     * @return the queries, {@code sample x distortions}
     * @throws CnnkitException if a sampled file cannot be read (naming it), or the collection is empty
     */
    public Queries extract(List<Path> files, FeatureExtractor extractor, ProgressListener listener) {
        Objects.requireNonNull(extractor, "extractor");
        if (files.isEmpty()) {
            throw new CnnkitException("a near-duplicate suite needs a collection of at least 1 image");
        }
        int[] sample = sample(files.size());
        Distortion[] kinds = Distortion.values();
        float[][] vectors = new float[sample.length * kinds.length][];
        int[] originals = new int[vectors.length];
        List<Distortion> distortions = new ArrayList<>(vectors.length);
        ProgressTracker tracker = ProgressTracker.start("extracting near-duplicate copies", sample.length,
                listener == null ? ProgressListener.none() : listener);
        List<int[]> groups = new ArrayList<>();
        for (int start = 0; start < sample.length; start += IMAGES_PER_GROUP) {
            groups.add(Arrays.copyOfRange(sample, start, Math.min(sample.length, start + IMAGES_PER_GROUP)));
        }
        int[] q = {0};
        PipelinedBatches.run(groups, group -> copies(files, group, kinds), copies -> {
            float[][] extracted = extractor.extractImages(copies.images());
            System.arraycopy(extracted, 0, vectors, q[0], extracted.length);
            for (int i = 0; i < extracted.length; i++) {
                originals[q[0] + i] = copies.positions()[i / kinds.length];
                distortions.add(kinds[i % kinds.length]);
            }
            q[0] += extracted.length;
            tracker.advance(copies.positions().length);
        });
        tracker.finish();
        return new Queries(vectors, originals, distortions);
    }

    /** Reads the sampled images of a group and makes their copies: per image, one copy per distortion in order. */
    private Copies copies(List<Path> files, int[] positions, Distortion[] kinds) {
        List<BufferedImage> images = new ArrayList<>(positions.length * kinds.length);
        for (int position : positions) {
            BufferedImage original = decoder.read(files.get(position));
            for (Distortion kind : kinds) {
                images.add(distort(original, position, kind));
            }
        }
        return new Copies(positions, images);
    }

    /** The distorted copies of a group of sampled images, image by image, distortion by distortion. */
    private record Copies(int[] positions, List<BufferedImage> images) {
    }

    private static double uniform(Random random, double low, double high) {
        return low + (high - low) * random.nextDouble();
    }

    private static double signed(Random random, double magnitude) {
        return (random.nextBoolean() ? 1 : -1) * uniform(random, magnitude / 2, magnitude);
    }

    /** An angle of 1 to 5 degrees either way, in radians. */
    private static double signedAngle(Random random) {
        double degrees = uniform(random, 1, 5);
        return Math.toRadians(random.nextBoolean() ? degrees : -degrees);
    }

    private static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        g.drawImage(image, 0, 0, null);
        g.dispose();
        return rgb;
    }

    /** Cuts away {@code fraction} of the width and of the height, split at random between the two sides. */
    static BufferedImage crop(BufferedImage image, double fraction, Random random) {
        int w = image.getWidth();
        int h = image.getHeight();
        int cutW = (int) Math.round(w * fraction);
        int cutH = (int) Math.round(h * fraction);
        int left = cutW == 0 ? 0 : random.nextInt(cutW + 1);
        int top = cutH == 0 ? 0 : random.nextInt(cutH + 1);
        BufferedImage out = new BufferedImage(Math.max(1, w - cutW), Math.max(1, h - cutH), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(image, -left, -top, null);
        g.dispose();
        return out;
    }

    /** Rotates about the centre and enlarges just enough that no empty corner shows (same size out). */
    static BufferedImage rotate(BufferedImage image, double radians) {
        int w = image.getWidth();
        int h = image.getHeight();
        double cos = Math.abs(Math.cos(radians));
        double sin = Math.abs(Math.sin(radians));
        double zoom = Math.max(cos + sin * h / w, cos + sin * w / h);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        AffineTransform transform = new AffineTransform();
        transform.translate(w / 2.0, h / 2.0);
        transform.rotate(radians);
        transform.scale(zoom, zoom);
        transform.translate(-w / 2.0, -h / 2.0);
        g.drawImage(image, transform, null);
        g.dispose();
        return out;
    }

    /** Resizes by a factor (bilinear). */
    static BufferedImage scale(BufferedImage image, double factor) {
        int w = Math.max(1, (int) Math.round(image.getWidth() * factor));
        int h = Math.max(1, (int) Math.round(image.getHeight() * factor));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    /** Multiplies the distance to mid-grey by {@code contrast} and adds {@code brightness} (a share of 255). */
    static BufferedImage brightnessContrast(BufferedImage image, double brightness, double contrast) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] pixels = image.getRGB(0, 0, w, h, null, 0, w);
        double offset = brightness * 255;
        for (int i = 0; i < pixels.length; i++) {
            int p = pixels[i];
            int r = adjust((p >> 16) & 0xFF, contrast, offset);
            int gr = adjust((p >> 8) & 0xFF, contrast, offset);
            int b = adjust(p & 0xFF, contrast, offset);
            pixels[i] = (r << 16) | (gr << 8) | b;
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, w, h, pixels, 0, w);
        return out;
    }

    private static int adjust(int value, double contrast, double offset) {
        long v = Math.round((value - 127.5) * contrast + 127.5 + offset);
        return (int) Math.max(0, Math.min(255, v));
    }

    /** Encodes as JPEG at a quality in [0, 1] and decodes it again. */
    static BufferedImage jpeg(BufferedImage image, float quality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        try {
            return ImageIO.read(new ByteArrayInputStream(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a near-duplicate copy went through. */
    public enum Distortion {
        /** 5-15% of the width and of the height cut away. */
        CROP,
        /** Rotated by 1-5 degrees either way, zoomed so that no empty corner shows. */
        ROTATION,
        /** Downscaled to 50-80% of each side. */
        DOWNSCALE,
        /** Re-saved as JPEG at quality 30-70. */
        JPEG,
        /** Brightness +-5-10% of the range and contrast +-5-10%. */
        BRIGHTNESS_CONTRAST,
        /** All of the above, one after the other. */
        COMBINED;

        /** {@return the name used in reports, such as {@code brightness_contrast}} */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The near-duplicate queries of a collection.
     *
     * @param vectors one feature vector per distorted copy
     * @param originals for each copy, the position of its original in the collection
     * @param distortions for each copy, what it went through
     */
    public record Queries(float[][] vectors, int[] originals, List<Distortion> distortions) {

        /**
         * Checks and copies the lists.
         *
         * @param vectors one feature vector per distorted copy
         * @param originals for each copy, the position of its original in the collection
         * @param distortions for each copy, what it went through
         * @throws CnnkitException if the lengths differ
         */
        public Queries {
            distortions = List.copyOf(distortions);
            if (vectors.length != originals.length || vectors.length != distortions.size()) {
                throw new CnnkitException("near-duplicate queries: " + vectors.length + " vectors, " + originals.length
                        + " originals, " + distortions.size() + " distortions");
            }
        }

        /** {@return the number of queries} */
        public int size() {
            return vectors.length;
        }
    }

    /** Builds a {@link NearDuplicateSuite}. */
    public static final class Builder {
        private long seed = DEFAULT_SEED;
        private int sampleSize = DEFAULT_SAMPLE_SIZE;

        private Builder() {
        }

        /**
         * Sets the seed of the sample and of the distortions' parameters.
         *
         * @param seed the seed (default 14)
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how many images of the collection are sampled; each gives one query per distortion.
         *
         * @param sampleSize at least 1 (default 100)
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder optSampleSize(int sampleSize) {
            if (sampleSize < 1) {
                throw new IllegalArgumentException("the near-duplicate sample needs at least 1 image, got " + sampleSize);
            }
            this.sampleSize = sampleSize;
            return this;
        }

        /** {@return the suite} */
        public NearDuplicateSuite build() {
            return new NearDuplicateSuite(this);
        }
    }
}
