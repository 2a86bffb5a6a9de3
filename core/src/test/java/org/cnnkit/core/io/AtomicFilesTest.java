package org.cnnkit.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void writesANewFileAndItsFolder() throws IOException {
        Path target = dir.resolve("a/b/file.txt");
        AtomicFiles.write(target, "hello".getBytes(StandardCharsets.UTF_8));
        assertThat(target).hasContent("hello");
        assertThat(listing()).containsExactly(dir.resolve("a"));
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path target = dir.resolve("file.txt");
        Files.writeString(target, "old");
        AtomicFiles.write(target, "new".getBytes(StandardCharsets.UTF_8));
        assertThat(target).hasContent("new");
        assertThat(listing()).containsExactly(target);
    }

    @Test
    void aFailureWhileWritingLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("file.txt");
        Files.writeString(target, "old");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write("half of the new".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        })).isInstanceOf(IOException.class).hasMessage("disk full");
        assertThat(target).hasContent("old");
        assertThat(listing()).containsExactly(target);
    }

    @Test
    void anUncheckedFailureOrAFailedMoveAlsoLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("file.txt");
        Files.writeString(target, "old");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]);
            throw new IllegalStateException("serializer failed");
        })).isInstanceOf(IllegalStateException.class).hasMessage("serializer failed");
        assertThat(target).hasContent("old");
        assertThat(listing()).containsExactly(target);

        Path folderInTheWay = Files.createDirectories(dir.resolve("taken"));
        Files.writeString(folderInTheWay.resolve("inside.txt"), "keeps the folder non-empty");
        assertThatThrownBy(() -> AtomicFiles.write(folderInTheWay, "new".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);
        assertThat(listing()).containsExactly(target, folderInTheWay);
    }

    private java.util.List<Path> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
