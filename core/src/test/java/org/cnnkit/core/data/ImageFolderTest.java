package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {

    @TempDir
    Path root;

    @Test
    void labelsFollowSortedFolderNamesAndImagesAreSortedWithinEachClass() throws IOException {
        image("zebra/b.png");
        image("zebra/a.PNG");
        image("Apple/x.jpg");
        image("mango/nested/deep.gif");
        image("mango/m.bmp");
        ImageFolder folder = ImageFolder.scan(root);
        assertThat(folder.classNames()).containsExactly("Apple", "mango", "zebra");
        assertThat(folder.numClasses()).isEqualTo(3);
        assertThat(folder.images()).extracting(i -> root.relativize(i.path()).toString())
                .containsExactly("Apple/x.jpg", "mango/m.bmp", "mango/nested/deep.gif", "zebra/a.PNG", "zebra/b.png");
        assertThat(folder.images()).extracting(LabeledImage::label).containsExactly(0, 1, 1, 2, 2);
        assertThat(folder.countsPerClass()).containsExactly(entry("Apple", 1), entry("mango", 2), entry("zebra", 2));
        assertThat(folder.root()).isEqualTo(root);
    }

    @Test
    void hiddenFilesHiddenFoldersOtherExtensionsAndRootFilesAreSkipped() throws IOException {
        image("cats/c1.png");
        image("cats/.thumb.png");
        image("cats/.cache/c2.png");
        image(".git/objects.png");
        image("root-level.png");
        Files.writeString(root.resolve("cats/readme.txt"), "x");
        Files.writeString(root.resolve("cats/noextension"), "x");
        ImageFolder folder = ImageFolder.scan(root);
        assertThat(folder.classNames()).containsExactly("cats");
        assertThat(folder.images()).extracting(i -> i.path().getFileName().toString()).containsExactly("c1.png");
    }

    @Test
    void scanningTwiceGivesTheSameLabels() throws IOException {
        image("b/1.png");
        image("a/1.png");
        image("c/1.png");
        assertThat(ImageFolder.scan(root).images()).isEqualTo(ImageFolder.scan(root).images());
    }

    @Test
    void linkedClassFoldersAreScannedUnderTheirLinkName() throws IOException {
        Path elsewhere = Files.createDirectories(root.resolve(".store/real-dogs"));
        TestImages.png(elsewhere.resolve("d1.png"), 2, 2, Color.GRAY);
        Path tree = Files.createDirectories(root.resolve("tree"));
        Files.createSymbolicLink(tree.resolve("dogs"), elsewhere);
        ImageFolder folder = ImageFolder.scan(tree);
        assertThat(folder.classNames()).containsExactly("dogs");
        assertThat(folder.images()).extracting(LabeledImage::path).containsExactly(tree.resolve("dogs/d1.png"));
    }

    @Test
    void missingRootIsRefusedWithItsPath() {
        Path missing = root.resolve("absent");
        assertThatThrownBy(() -> ImageFolder.scan(missing))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("does not exist")
                .hasMessageContaining(missing.toString());
    }

    @Test
    void rootThatIsAFileIsRefusedWithItsPath() throws IOException {
        Path file = Files.writeString(root.resolve("file.png"), "x");
        assertThatThrownBy(() -> ImageFolder.scan(file))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("not a folder")
                .hasMessageContaining(file.toString());
    }

    @Test
    void rootWithoutClassFoldersIsRefusedWithItsPath() throws IOException {
        image("loose.png");
        Files.createDirectories(root.resolve(".hidden"));
        assertThatThrownBy(() -> ImageFolder.scan(root))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("no class folders")
                .hasMessageContaining(root.toString());
    }

    @Test
    void classFolderWithoutImagesIsRefusedWithItsPath() throws IOException {
        image("full/a.png");
        Path empty = Files.createDirectories(root.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "x");
        assertThatThrownBy(() -> ImageFolder.scan(root))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("holds no image")
                .hasMessageContaining(empty.toString());
    }

    @Test
    void imageFilesRecognisesExtensionsInAnyCaseAndListsTreesSorted() throws IOException {
        assertThat(ImageFiles.isImage(Path.of("a.JPEG"))).isTrue();
        assertThat(ImageFiles.isImage(Path.of("a.Gif"))).isTrue();
        assertThat(ImageFiles.isImage(Path.of("a.tiff"))).isFalse();
        assertThat(ImageFiles.isImage(Path.of(".png"))).isFalse();
        assertThat(ImageFiles.isImage(Path.of(".hidden.png"))).isFalse();
        image("z.png");
        image("b/y.jpg");
        image("b/.h/x.jpg");
        image("a/é.png");
        assertThat(ImageFiles.listRecursive(root)).extracting(p -> root.relativize(p).toString())
                .containsExactly("a/é.png", "b/y.jpg", "z.png");
        assertThatThrownBy(() -> ImageFiles.listRecursive(root.resolve("none")))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("none");
    }

    private void image(String relative) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        TestImages.png(file, 2, 2, Color.GRAY);
    }
}
