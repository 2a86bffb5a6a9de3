package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.progress.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Indexing a folder holds at most two batches of decoded images: the next batch is decoded while the network runs on
 * the current one (so the network does not wait for decoding), and the one after only once the network is done with
 * the current one. The test proves it by replacing every file after the second batch with text at the moment the
 * network runs on the first batch: a file decoded ahead of time would still be indexed, a file decoded after that
 * moment is skipped as unreadable.
 */
class IndexingMemoryBoundTest {

    private static final int BATCH = 4;
    private static final int FILES = 20;

    @TempDir
    Path dir;

    @Test
    void onlyTheNextBatchIsDecodedWhileTheNetworkRunsOnTheCurrentOne() {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            files.add(TinyExtractor.drawPng(dir.resolve("photos").resolve(String.format("img%02d.png", i)),
                    new Color(10 * i, 100, 200), Color.WHITE, i % 2 == 0, 24));
        }
        List<Long> batchRows = new ArrayList<>();
        TinyExtractor extractor = new TinyExtractor(BATCH) {
            @Override
            INDArray toFeatures(INDArray output) {
                if (batchRows.isEmpty()) {
                    replaceWithText(files.subList(2 * BATCH, FILES));
                }
                batchRows.add(output.size(0));
                return super.toFeatures(output);
            }
        };
        ImageSearch search = ImageSearch.create(extractor, SearchSettings.raw());

        ImageSearch.IndexingReport report = search.indexFolder(dir.resolve("photos"), ProgressListener.none());

        assertThat(batchRows).containsExactly((long) BATCH, (long) BATCH);
        assertThat(report.indexed()).isEqualTo(2 * BATCH);
        assertThat(report.skipped()).extracting(ExtractionResult.SkippedFile::path)
                .containsExactlyElementsOf(files.subList(2 * BATCH, FILES).stream()
                        .map(p -> p.toAbsolutePath().normalize()).toList());
    }

    @Test
    void everyNetworkCallGetsAtMostOneBatch() {
        for (int i = 0; i < FILES + 3; i++) {
            TinyExtractor.drawPng(dir.resolve("photos").resolve(String.format("img%02d.png", i)),
                    new Color(10 * i, 100, 200), Color.WHITE, i % 2 == 0, 24);
        }
        List<Long> batchRows = new ArrayList<>();
        TinyExtractor extractor = new TinyExtractor(BATCH) {
            @Override
            INDArray toFeatures(INDArray output) {
                batchRows.add(output.size(0));
                return super.toFeatures(output);
            }
        };

        ImageSearch.IndexingReport report = ImageSearch.create(extractor, SearchSettings.raw())
                .indexFolder(dir.resolve("photos"), ProgressListener.none());

        assertThat(report.indexed()).isEqualTo(FILES + 3);
        assertThat(batchRows).allSatisfy(rows -> assertThat(rows).isLessThanOrEqualTo(BATCH));
        assertThat(batchRows.stream().mapToLong(Long::longValue).sum()).isEqualTo(FILES + 3);
    }

    private static void replaceWithText(List<Path> files) {
        try {
            for (Path file : files) {
                Files.writeString(file, "replaced while the network ran on the first batch");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
