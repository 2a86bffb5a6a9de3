package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ImageSearch} over a store given by a spec: portable ids relative to a recorded root. */
class ImageSearchStoreTest {

    @TempDir
    Path dir;

    private static void drawFolder(Path folder, int count, int seed) {
        for (int i = 0; i < count; i++) {
            // Each image of a test its own colours: the nearest image to an indexed one is itself.
            Color background = new Color((seed * 30 + i * 23) % 256, (seed * 70 + i * 41) % 256, (i * 17) % 256);
            Color shape = new Color((seed * 11 + i * 67) % 256, (i * 91 + 40) % 256, (seed * 13 + i * 53) % 256);
            TinyExtractor.drawPng(folder.resolve("img" + i + ".png"), background, shape, i % 2 == 0, 24);
        }
    }

    private static ImageSearch openForIndexing(StoreSpec spec, Path folder) {
        TinyExtractor extractor = new TinyExtractor(8);
        StoreSchema schema = ImageSearch.newStoreSchema(spec, extractor.identity(), SearchSettings.raw(),
                Map.of(), folder);
        return ImageSearch.open(spec, StoreOptions.builder().optSchemaForNewStore(schema).build(), extractor);
    }

    private static List<String> ids(ImageSearch search) {
        List<String> ids = new ArrayList<>();
        search.store().forEachEntry((id, stamp) -> ids.add(id));
        return ids;
    }

    @Test
    void anIndexMovedWithItsFolderStillFindsItsImages() throws Exception {
        Path work = dir.resolve("work");
        drawFolder(work.resolve("photos"), 6, 1);
        StoreSpec spec = StoreSpec.parse("exact:" + work.resolve("photos.cfi"));
        try (ImageSearch search = openForIndexing(spec, work.resolve("photos"))) {
            search.indexFolder(work.resolve("photos"), null);
            assertThat(ids(search)).contains("photos/img0.png").allSatisfy(id -> assertThat(id).startsWith("photos/"));
        }
        Path moved = Files.move(work, dir.resolve("moved"));

        try (ImageSearch search = ImageSearch.open(StoreSpec.parse("exact:" + moved.resolve("photos.cfi")),
                StoreOptions.openExisting(), new TinyExtractor(8))) {
            Path query = moved.resolve("photos/img3.png");
            ImageSearch.ImageMatch best = search.search(query, 1).get(0);
            assertThat(best.file()).isEqualTo(query.toAbsolutePath().normalize());
            assertThat(best.file()).exists();
            ImageSearch.IndexingReport again = search.indexFolder(moved.resolve("photos"), null);
            assertThat(again.unchanged()).isEqualTo(6);
            assertThat(again.removed()).isZero();
        }
    }

    @Test
    void twoSiblingFoldersIndexedIntoOneStoreKeepBothAndRemovalsStayInTheirFolder() throws Exception {
        drawFolder(dir.resolve("a"), 5, 2);
        drawFolder(dir.resolve("b"), 4, 3);
        StoreSpec spec = StoreSpec.parse("exact:" + dir.resolve("x.cfi"));
        try (ImageSearch search = openForIndexing(spec, dir.resolve("a"))) {
            search.indexFolder(dir.resolve("a"), null);
        }
        try (ImageSearch search = openForIndexing(spec, dir.resolve("b"))) {
            assertThat(search.indexFolder(dir.resolve("b"), null).total()).isEqualTo(9);
        }
        Files.delete(dir.resolve("a/img1.png"));

        try (ImageSearch search = openForIndexing(spec, dir.resolve("a"))) {
            ImageSearch.IndexingReport report = search.indexFolder(dir.resolve("a"), null);
            assertThat(report.removed()).isEqualTo(1);
            assertThat(report.total()).isEqualTo(8);
            assertThat(ids(search)).contains("a/img0.png", "b/img0.png").doesNotContain("a/img1.png");
        }
    }

    @Test
    void aStoreInASiblingFolderKeysImagesRelativeToTheirCommonParent() throws Exception {
        drawFolder(dir.resolve("photos"), 3, 4);
        StoreSpec spec = StoreSpec.parse("exact:" + dir.resolve("indexes/photos.cfi"));
        try (ImageSearch search = openForIndexing(spec, dir.resolve("photos"))) {
            search.indexFolder(dir.resolve("photos"), null);

            assertThat(search.store().schema().properties()).containsEntry(ImageSearch.ROOT_PROPERTY, "..");
            assertThat(ids(search)).containsExactlyInAnyOrder("photos/img0.png", "photos/img1.png", "photos/img2.png");
        }
    }

    @Test
    void anImageOutsideTheRootIsKeyedByItsFileUri() throws Exception {
        drawFolder(dir.resolve("root/photos"), 2, 5);
        Path outside = dir.resolve("elsewhere");
        drawFolder(outside, 2, 6);
        StoreSpec spec = StoreSpec.parse("exact:" + dir.resolve("root/photos/index.cfi"));
        try (ImageSearch search = openForIndexing(spec, dir.resolve("root/photos"))) {
            search.indexFolder(dir.resolve("root/photos"), null);
            search.indexFolder(outside, null);

            assertThat(ids(search)).contains("img0.png", outside.resolve("img0.png").toUri().toString());
            Path query = outside.resolve("img1.png");
            assertThat(search.search(query, 1).get(0).file()).isEqualTo(query.toAbsolutePath().normalize());
        }
    }

    @Test
    void withRootResolvesIdsAgainstWhereTheImagesNowLive() throws Exception {
        drawFolder(dir.resolve("photos"), 3, 7);
        StoreSpec spec = StoreSpec.parse("exact:" + dir.resolve("photos.cfi"));
        try (ImageSearch search = openForIndexing(spec, dir.resolve("photos"))) {
            search.indexFolder(dir.resolve("photos"), null);
        }
        Path copy = dir.resolve("mirror");
        Files.createDirectories(copy);
        Files.move(dir.resolve("photos"), copy.resolve("photos"));

        try (ImageSearch search = ImageSearch.open(spec, StoreOptions.openExisting(), new TinyExtractor(8))
                .withRoot(copy)) {
            Path query = copy.resolve("photos/img2.png");
            assertThat(search.search(query, 1).get(0).file()).isEqualTo(query.toAbsolutePath().normalize());
        }
    }
}
