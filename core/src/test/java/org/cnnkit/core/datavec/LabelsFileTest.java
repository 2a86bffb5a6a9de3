package org.cnnkit.core.datavec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelsFileTest {

    @TempDir
    Path temp;

    @Test
    void readsTheCorelFormatWithHeaderAndRelativePaths() throws IOException {
        Path images = PipelineRecordReaderTest.writeImages(temp.resolve("images"), List.of("africa", "beach"), 2);
        Path labels = Files.writeString(temp.resolve("labels.csv"), """
                filename,class_index,class_name,relative_path
                africa-0.png,0,africa,africa/africa-0.png
                beach-1.png,1,beach,beach/beach-1.png
                africa-1.png,0,africa,africa/africa-1.png
                """);

        ImageFolder folder = LabelsFile.read(labels, images);

        assertThat(folder.classNames()).containsExactly("africa", "beach");
        assertThat(folder.images()).containsExactly(
                new LabeledImage(images.resolve("africa/africa-0.png"), 0),
                new LabeledImage(images.resolve("beach/beach-1.png"), 1),
                new LabeledImage(images.resolve("africa/africa-1.png"), 0));
    }

    @Test
    void labelsAFlatFolderWithThreeColumnsAndFindsNestedFilesByName() throws IOException {
        Path images = PipelineRecordReaderTest.writeImages(temp.resolve("images"), List.of("p", "q"), 2);
        Path labels = Files.writeString(temp.resolve("labels.csv"),
                "p-0.png,1,dog\np/p-1.png,0,cat\nq-0.png,1,dog\n\"q-1.png\",0,cat\n");

        ImageFolder folder = LabelsFile.read(labels, images);

        assertThat(folder.classNames()).containsExactly("cat", "dog");
        assertThat(folder.countsPerClass()).containsExactly(Map.entry("cat", 2), Map.entry("dog", 2));
        assertThat(folder.images().get(0)).isEqualTo(new LabeledImage(images.resolve("p/p-0.png"), 1));
    }

    @Test
    void badLinesAreNamedInTheError() throws IOException {
        Path images = PipelineRecordReaderTest.writeImages(temp.resolve("images"), List.of("a", "b"), 1);
        assertThatThrownBy(() -> LabelsFile.read(write("a-0.png,0,a\nb-0.png,2,b\n"), images))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("without gaps");
        assertThatThrownBy(() -> LabelsFile.read(write("a-0.png,0,a\nb-0.png,0,b\n"), images))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("line 2")
                .hasMessageContaining("named 'b' here but 'a' before");
        assertThatThrownBy(() -> LabelsFile.read(write("a-0.png,0,a\nmissing.png,1,b\n"), images))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("line 2")
                .hasMessageContaining("missing.png").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> LabelsFile.read(write("a-0.png,0,a\nb-0.png,x,b\n"), images))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("line 2")
                .hasMessageContaining("'x' is not a number");
        assertThatThrownBy(() -> LabelsFile.read(write("a-0.png,0\n"), images))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("line 1");
        assertThatThrownBy(() -> LabelsFile.read(temp.resolve("absent.csv"), images))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("absent.csv");
    }

    @Test
    void readsCorel1kLabels() {
        Path corel = Path.of(System.getProperty("cnnkit.assets", "../shared/assets")).resolve("corel1k");
        Assumptions.assumeTrue(Files.isRegularFile(corel.resolve("labels.csv")),
                "Corel-1K not found under " + corel.toAbsolutePath() + " (set -Dcnnkit.assets); skipped");

        ImageFolder folder = LabelsFile.read(corel.resolve("labels.csv"), corel);

        assertThat(folder.numClasses()).isEqualTo(10);
        assertThat(folder.images()).hasSize(1000);
        assertThat(folder.classNames()).containsExactlyInAnyOrderElementsOf(ImageFolder.scan(corel).classNames());
        assertThat(folder.classNames().get(9)).isEqualTo("food"); // the file's own numbering, not sorted names
        assertThat(folder.countsPerClass().values()).containsOnly(100);
    }

    private Path write(String text) throws IOException {
        return Files.writeString(Files.createTempFile(temp, "labels", ".csv"), text);
    }
}
