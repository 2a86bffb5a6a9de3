package org.cnnkit.core.datavec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.datavec.api.io.filters.BalancedPathFilter;
import org.datavec.api.io.labels.ParentPathLabelGenerator;
import org.datavec.api.io.labels.PathLabelGenerator;
import org.datavec.api.split.CollectionInputSplit;
import org.datavec.api.split.FileSplit;
import org.datavec.api.writable.Text;
import org.datavec.api.writable.Writable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataVecImagesTest {

    @TempDir
    Path temp;

    @Test
    void aFileSplitWithParentPathLabelsReadsLikeAScannedFolder() throws IOException {
        Path root = PipelineRecordReaderTest.writeImages(temp.resolve("images"), List.of("b", "a", "c"), 3);
        Files.writeString(root.resolve("a").resolve("readme.txt"), "skipped");

        ImageFolder viaDataVec = DataVecImages.builder().setSplit(new FileSplit(root.toFile())).build().read();
        ImageFolder scanned = ImageFolder.scan(root);

        assertThat(viaDataVec.classNames()).isEqualTo(scanned.classNames()).containsExactly("a", "b", "c");
        assertThat(viaDataVec.images()).isEqualTo(scanned.images());
        assertThat(viaDataVec.root()).isEqualTo(root.toFile().toPath());
    }

    @Test
    void aBalancedPathFilterChoosesAsManyImagesOfEachClass() throws IOException {
        Path root = PipelineRecordReaderTest.writeImages(temp.resolve("images"), List.of("a", "b"), 2);
        PipelineRecordReaderTest.writeImages(temp.resolve("more"), List.of("a"), 5);
        try (var files = Files.list(temp.resolve("more").resolve("a"))) {
            for (Path file : files.toList()) {
                Files.move(file, root.resolve("a").resolve("more-" + file.getFileName()));
            }
        }
        ParentPathLabelGenerator labels = new ParentPathLabelGenerator();
        ImageFolder balanced = DataVecImages.builder().setSplit(new FileSplit(root.toFile()))
                .optLabelGenerator(labels)
                .optPathFilter(new BalancedPathFilter(new Random(1), labels, 0, 0, 2))
                .build().read();

        assertThat(balanced.countsPerClass()).containsExactly(Map.entry("a", 2), Map.entry("b", 2));
    }

    @Test
    void aUserLabelGeneratorNamesTheClasses() throws IOException {
        Path flat = Files.createDirectories(temp.resolve("flat"));
        Path source = PipelineRecordReaderTest.writeImages(temp.resolve("src"), List.of("x", "y"), 2);
        for (String c : List.of("x", "y")) {
            try (var files = Files.list(source.resolve(c))) {
                for (Path file : files.toList()) {
                    Files.move(file, flat.resolve(file.getFileName()));   // x-0.png, x-1.png, y-0.png, y-1.png
                }
            }
        }
        PathLabelGenerator byPrefix = new PathLabelGenerator() {
            @Override
            public Writable getLabelForPath(String path) {
                String name = Path.of(path).getFileName().toString();
                return new Text(name.substring(0, name.indexOf('-')));
            }

            @Override
            public Writable getLabelForPath(URI uri) {
                return getLabelForPath(Path.of(uri).toString());
            }

            @Override
            public boolean inferLabelClasses() {
                return true;
            }
        };
        ImageFolder folder = DataVecImages.builder().setSplit(new FileSplit(flat.toFile()))
                .optLabelGenerator(byPrefix).build().read();

        assertThat(folder.classNames()).containsExactly("x", "y");
        assertThat(folder.images().stream().collect(Collectors.groupingBy(
                i -> i.path().getFileName().toString().substring(0, 1),
                Collectors.mapping(LabeledImage::label, Collectors.toSet()))))
                .containsExactly(Map.entry("x", java.util.Set.of(0)), Map.entry("y", java.util.Set.of(1)));
    }

    @Test
    void refusesLocationsThatAreNotLocalFiles() {
        CollectionInputSplit remote = new CollectionInputSplit(List.of(URI.create("http://example.com/a/1.png")));
        assertThatThrownBy(() -> DataVecImages.builder().setSplit(remote).build().read())
                .isInstanceOf(CnnkitException.class).hasMessageContaining("local files only")
                .hasMessageContaining("http://example.com/a/1.png");
        assertThatThrownBy(() -> DataVecImages.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("setSplit");
    }
}
