package org.cnnkit.zoo.weights;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;

/**
 * Where a pretrained weights file comes from: its file name in the cache, the URL to download it from, and its
 * SHA-256 checksum when one is known.
 *
 * <p>Keras does not publish SHA-256 checksums for the keras-applications MobileNetV2 files (its code checks some
 * files with MD5 hashes only), and they could not be computed where cnnkit was written, so the MobileNetV2 sources
 * have no checksum: {@link PretrainedWeights} then checks the download's length and HDF5 signature and logs the
 * SHA-256 it computed; pin it with {@link #withSha256(String)} to have later downloads verified.
 *
 * @param fileName the file name in the cache folder, without any folder
 * @param url where to download the file
 * @param sha256 the expected SHA-256 as 64 lower-case hex digits, or empty when not published
 */
public record WeightsSource(String fileName, URI url, Optional<String> sha256) {

    /** The alphas for which keras-applications publishes MobileNetV2 ImageNet weights. */
    public static final List<Double> MOBILENET_V2_ALPHAS = List.of(0.35, 0.5, 0.75, 1.0, 1.3, 1.4);

    /** The input sizes (rows) for which keras-applications publishes MobileNetV2 ImageNet weights. */
    public static final List<Integer> MOBILENET_V2_ROWS = List.of(96, 128, 160, 192, 224);

    private static final String MOBILENET_V2_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
            + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_%s_%d_no_top.h5";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * Validates the source.
     *
     * @param fileName the file name in the cache folder, without any folder
     * @param url where to download the file
     * @param sha256 the expected SHA-256 as 64 lower-case hex digits, or empty when not published
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if the file name has a folder or is empty, or the checksum is not 64 hex
     *     digits
     */
    public WeightsSource {
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(sha256, "sha256");
        if (fileName.isBlank() || fileName.contains("/") || fileName.contains("\\") || fileName.equals("..")) {
            throw new IllegalArgumentException("weights file name must be a plain file name, got '" + fileName + "'");
        }
        sha256 = sha256.map(s -> s.toLowerCase(Locale.ROOT));
        if (sha256.isPresent() && !SHA256.matcher(sha256.get()).matches()) {
            throw new IllegalArgumentException("SHA-256 must be 64 hex digits, got '" + sha256.get() + "'");
        }
    }

    /**
     * Creates a source without a known checksum.
     *
     * @param fileName the file name in the cache folder
     * @param url where to download the file
     * @return the source
     */
    public static WeightsSource of(String fileName, URI url) {
        return new WeightsSource(fileName, url, Optional.empty());
    }

    /**
     * Returns this source with a pinned checksum, which every download is then checked against.
     *
     * @param sha256 64 hex digits
     * @return a new source
     * @throws IllegalArgumentException if the checksum is not 64 hex digits
     */
    public WeightsSource withSha256(String sha256) {
        return new WeightsSource(fileName, url, Optional.of(sha256));
    }

    /**
     * The keras-applications MobileNetV2 ImageNet weights without the classification top:
     * {@code mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}_no_top.h5}. No checksum is known (see
     * the class comment).
     *
     * @param alpha one of {@link #MOBILENET_V2_ALPHAS}
     * @param rows one of {@link #MOBILENET_V2_ROWS}: the input size the weights were trained at
     * @return the source
     * @throws CnnkitException if Keras publishes no weights for this alpha or size
     */
    public static WeightsSource mobileNetV2NoTop(double alpha, int rows) {
        if (!MOBILENET_V2_ALPHAS.contains(alpha)) {
            throw new CnnkitException("no pretrained MobileNetV2 weights for alpha " + alpha
                    + ": Keras publishes ImageNet weights for alpha " + MOBILENET_V2_ALPHAS
                    + " only (other alphas can be trained from random weights)");
        }
        if (!MOBILENET_V2_ROWS.contains(rows)) {
            throw new CnnkitException("no pretrained MobileNetV2 weights trained at " + rows + "x" + rows
                    + ": Keras publishes them for sizes " + MOBILENET_V2_ROWS);
        }
        String url = String.format(Locale.ROOT, MOBILENET_V2_URL, alphaText(alpha), rows);
        return of(url.substring(url.lastIndexOf('/') + 1), URI.create(url));
    }

    /**
     * The MobileNetV2 no-top weights Keras would pick for an input shape: those trained at the input's size when the
     * input is square and one of {@link #MOBILENET_V2_ROWS}, else those trained at 224x224 (the weights work at any
     * size; features differ slightly from those of the matching size).
     *
     * @param alpha one of {@link #MOBILENET_V2_ALPHAS}
     * @param inputShape the network's input shape
     * @return the source
     * @throws CnnkitException if Keras publishes no weights for this alpha
     */
    public static WeightsSource mobileNetV2NoTop(double alpha, InputShape inputShape) {
        int rows = inputShape.height() == inputShape.width() && MOBILENET_V2_ROWS.contains(inputShape.height())
                ? inputShape.height() : 224;
        return mobileNetV2NoTop(alpha, rows);
    }

    /** Keras writes alphas as Python floats: 0.35, 0.5, 1.0. */
    private static String alphaText(double alpha) {
        return Double.toString(alpha);
    }
}
