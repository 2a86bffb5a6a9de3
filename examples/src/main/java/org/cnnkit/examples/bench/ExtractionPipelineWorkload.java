package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.PreparedImage;
import org.cnnkit.zoo.InferenceEngine;

/**
 * {@code extract-corel-mnv2-a0.35-224}: feature extraction over a folder of JPEGs against the network alone, in one
 * run. MobileNetV2 alpha 0.35 at 224 x 224 (the assets' Keras weights, the engine chosen by default or by
 * {@code --engine}) extracts 320 Corel-1K photos (every third file, sorted) twice, each after a warm-up pass:
 * <ul>
 *   <li>{@code value}: from the files ({@link FeatureExtractor#extract}), decoding and preprocessing the next batch
 *       while the network runs on the current one, as {@code cnnkit index} does;</li>
 *   <li>{@code network_only_per_s}: the same images decoded and preprocessed beforehand
 *       ({@link FeatureExtractor#prepare}, untimed), so that only the batches through the network are timed
 *       ({@link FeatureExtractor#extractPrepared}).</li>
 * </ul>
 * {@code ratio_to_network} is their quotient (issue #15 asks for at least 0.9); {@code cpu_ms_per_image} and
 * {@code network_cpu_ms_per_image} the process's CPU per image in each, and {@code decode_cpu_ms_per_image} the CPU per
 * image of the untimed preparation (decoding, resizing, preprocessing on one thread at a time): on a machine whose
 * cores all run the network, the pipeline's rate is bounded by the cores over the sum of the two.
 *
 * <p>The assets folder comes from {@code -Dcnnkit.assets} (default {@code ../shared/assets}).
 */
final class ExtractionPipelineWorkload {

    static final String NAME = "extract-corel-mnv2-a0.35-224";

    private static final int IMAGES = 320;

    private ExtractionPipelineWorkload() {
    }

    static BenchResult run(String peer, InferenceEngine engine) {
        CorelAssets assets = CorelAssets.locate(NAME);
        List<Path> files = photos(assets.corel());
        FeatureExtractor extractor = ExtractorSpec.mobileNetV2(0.35).withWeights(assets.weights())
                .create(ProgressListener.none(), engine);

        extractor.extract(files, ProgressListener.none()); // warm-up of the pipeline
        long cpu = CorelAssets.processCpuNanos();
        long start = System.nanoTime();
        extractor.extract(files, ProgressListener.none());
        double pipelineSeconds = (System.nanoTime() - start) / 1e9;
        double pipelineCpu = (CorelAssets.processCpuNanos() - cpu) / 1e6 / files.size();

        long prepareCpu = CorelAssets.processCpuNanos();
        List<PreparedImage> prepared = new ArrayList<>(files.size());
        for (Path file : files) {
            prepared.add(extractor.prepare(new EncodedImage(file, CorelAssets.read(file))));
        }
        double decodeCpu = (CorelAssets.processCpuNanos() - prepareCpu) / 1e6 / files.size();
        check(extractor.extractPrepared(prepared)); // warm-up of the network alone
        cpu = CorelAssets.processCpuNanos();
        start = System.nanoTime();
        check(extractor.extractPrepared(prepared));
        double networkSeconds = (System.nanoTime() - start) / 1e9;
        double networkCpu = (CorelAssets.processCpuNanos() - cpu) / 1e6 / files.size();

        double value = files.size() / pipelineSeconds;
        double networkOnly = files.size() / networkSeconds;
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("network_only_per_s", round(networkOnly));
        extra.put("ratio_to_network", round(value / networkOnly));
        extra.put("cpu_ms_per_image", round(pipelineCpu));
        extra.put("network_cpu_ms_per_image", round(networkCpu));
        extra.put("decode_cpu_ms_per_image", round(decodeCpu));
        extra.put("cores", Runtime.getRuntime().availableProcessors());
        extra.put("images", files.size());
        extra.put("engine", extractor.engine().name().toLowerCase(Locale.ROOT));
        return new BenchResult(NAME, value, "images/s", peer, PeakMemory.peakRssMib(), extra);
    }

    private static void check(ExtractionResult result) {
        if (!result.skipped().isEmpty()) {
            throw new CnnkitException(NAME + ": cannot decode " + result.skipped().get(0).path());
        }
    }

    private static List<Path> photos(Path corel) {
        try (Stream<Path> walk = Files.walk(corel)) {
            List<Path> all = walk.filter(f -> f.toString().toLowerCase(Locale.ROOT).endsWith(".jpg")).sorted()
                    .toList();
            List<Path> chosen = new ArrayList<>(IMAGES);
            for (int i = 0; i < all.size() && chosen.size() < IMAGES; i += 3) {
                chosen.add(all.get(i));
            }
            if (chosen.size() < IMAGES) {
                throw new CnnkitException(NAME + " needs at least " + 3 * IMAGES + " JPEGs in " + corel + ", found "
                        + all.size());
            }
            return chosen;
        } catch (IOException e) {
            throw new CnnkitException("cannot list " + corel + ": " + e.getMessage(), e);
        }
    }

    private static double round(double value) {
        return Math.round(value * 100.0) / 100.0;
    }
}
