package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.progress.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSearchTest {

    @TempDir
    Path dir;

    private static final Color[] COLOURS = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, Color.MAGENTA};

    private Path makeFolder() throws Exception {
        Path root = dir.resolve("photos");
        for (int c = 0; c < COLOURS.length; c++) {
            for (int v = 0; v < 3; v++) {
                Color background = new Color(255 - v * 20, 255 - v * 20, 255);
                TinyExtractor.drawPng(root.resolve("colour" + c).resolve("sub").resolve("img" + v + ".png"),
                        background, COLOURS[c], v % 2 == 0, 40 + v * 8);
            }
        }
        Files.writeString(root.resolve("broken.png"), "not a png");
        Files.write(root.resolve("empty.jpg"), new byte[0]);
        Files.writeString(root.resolve("notes.txt"), "ignored: not an image name");
        return root;
    }

    @Test
    void indexesAFolderTreeSkippingUnreadableFilesAndFindsSimilarImages() throws Exception {
        Path root = makeFolder();
        ImageSearch search = ImageSearch.create(new TinyExtractor(4), SearchSettings.raw());
        List<Progress> progress = new ArrayList<>();
        ImageSearch.IndexingReport report = search.indexFolder(root, progress::add);
        assertThat(report.indexed()).isEqualTo(15);
        assertThat(report.total()).isEqualTo(15);
        assertThat(report.skipped()).extracting(s -> s.path().getFileName().toString())
                .containsExactlyInAnyOrder("broken.png", "empty.jpg");
        assertThat(report.skipped()).allSatisfy(s -> assertThat(s.reason()).isNotBlank());
        assertThat(progress).isNotEmpty();
        assertThat(progress.get(progress.size() - 1).done()).isEqualTo(17);

        Path query = TinyExtractor.drawPng(dir.resolve("query.png"), Color.WHITE, COLOURS[2], true, 64);
        List<ImageSearch.ImageMatch> matches = search.search(query, 3);
        assertThat(matches).hasSize(3);
        assertThat(matches.get(0).file().toString()).contains("colour2");
        assertThat(matches).isSortedAccordingTo(java.util.Comparator.comparing(ImageSearch.ImageMatch::distance));
        assertThat(Files.exists(matches.get(0).file())).isTrue();

        // An indexed file finds itself first, at distance 0.
        Path indexed = root.resolve("colour4/sub/img1.png").toAbsolutePath().normalize();
        assertThat(search.search(indexed, 1).get(0)).isEqualTo(new ImageSearch.ImageMatch(indexed, 0f));

        assertThatThrownBy(() -> search.search(root.resolve("broken.png"), 2))
                .isInstanceOf(ImageDecodingException.class).hasMessageContaining("broken.png");
        assertThatThrownBy(() -> search.search(query, 0)).isInstanceOf(CnnkitException.class);
    }

    @Test
    void reindexingExtractsOnlyNewOrChangedFilesAndDropsMissingOnes() throws Exception {
        Path root = makeFolder();
        Path file = dir.resolve("photos.cfi");
        ImageSearch first = ImageSearch.create(new TinyExtractor(8), SearchSettings.defaults());
        first.indexFolder(root, null);
        first.save(file);

        // One changed (new content and time), one new, one deleted.
        Path changed = root.resolve("colour0/sub/img0.png");
        TinyExtractor.drawPng(changed, Color.BLACK, Color.CYAN, false, 40);
        Files.setLastModifiedTime(changed, FileTime.fromMillis(Files.getLastModifiedTime(changed).toMillis() + 5_000));
        TinyExtractor.drawPng(root.resolve("new/one.png"), Color.WHITE, Color.ORANGE, true, 50);
        Files.delete(root.resolve("colour3/sub/img2.png"));

        ImageSearch second = ImageSearch.open(file, new TinyExtractor(8));
        ImageSearch.IndexingReport report = second.indexFolder(root, null);
        assertThat(report.indexed()).isEqualTo(2);
        assertThat(report.unchanged()).isEqualTo(13);
        assertThat(report.removed()).isEqualTo(1);
        assertThat(report.total()).isEqualTo(15);
        assertThat(second.store().pipeline().isPresent()).isTrue();
        Path changedId = changed.toAbsolutePath().normalize();
        assertThat(second.search(changedId, 1).get(0)).isEqualTo(new ImageSearch.ImageMatch(changedId, 0f));

        ImageSearch.IndexingReport again = second.indexFolder(root, null);
        assertThat(again.indexed()).isZero();
        assertThat(again.unchanged()).isEqualTo(15);
    }

    @Test
    void anIndexedFileThatBecameUnreadableIsSkippedAndCountedAsRemoved() throws Exception {
        Path root = makeFolder();
        ImageSearch search = ImageSearch.create(new TinyExtractor(8), SearchSettings.defaults());
        search.indexFolder(root, null);
        Path spoiled = root.resolve("colour1/sub/img1.png");
        Files.writeString(spoiled, "no longer a png");
        Files.setLastModifiedTime(spoiled, FileTime.fromMillis(Files.getLastModifiedTime(spoiled).toMillis() + 5_000));

        ImageSearch.IndexingReport report = search.indexFolder(root, null);
        assertThat(report.indexed()).isZero();
        assertThat(report.removed()).isEqualTo(1);
        assertThat(report.total()).isEqualTo(14);
        assertThat(report.skipped()).extracting(s -> s.path().getFileName().toString())
                .containsExactlyInAnyOrder("broken.png", "empty.jpg", "img1.png");
        assertThat(search.store().contains(spoiled.toAbsolutePath().normalize().toString())).isFalse();
        assertThat(search.store().pipeline().isPresent()).isTrue();
    }

    @Test
    void anIndexOfAnotherExtractorIsRefused() throws Exception {
        Path file = dir.resolve("other.cfi");
        FeatureIndex.builder().optExtractor(new ExtractorIdentity("other/model", "x", InputShape.rgb(16),
                Preprocessing.RESCALE, 12)).build().save(file);
        assertThatThrownBy(() -> ImageSearch.open(file, new TinyExtractor(2)))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("other/model");
    }
}
