package org.cnnkit.core.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old file or the complete new one, never a part: the content goes to a
 * hidden temporary file in the same folder, is forced to disk, and is then moved over the target in one atomic step.
 * When writing fails, the temporary file is deleted and the target is left as it was.
 *
 * <p>The temporary file is created with the default permissions of new files (not the owner-only ones of
 * {@link Files#createTempFile}), so the final file has them too.
 */
public final class AtomicFiles {

    /** Writes the content of a file to a stream. */
    @FunctionalInterface
    public interface Content {

        /**
         * Writes the content.
         *
         * @param out the stream to write to; do not close it
         * @throws IOException if writing fails
         */
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} atomically, creating its folder if needed.
     *
     * @param target the file to write or replace
     * @param content writes the new content
     * @throws IOException if the folder, the temporary file or the move fails (the target is then unchanged),
     *     including {@link java.nio.file.AtomicMoveNotSupportedException} on a file system that cannot replace
     *     files atomically
     */
    public static void write(Path target, Content content) throws IOException {
        Objects.requireNonNull(content, "content");
        Path file = target.toAbsolutePath();
        Path folder = file.getParent();
        Files.createDirectories(folder);
        Path temporary = folder.resolve("." + file.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                // the failure that brought us here is the one to report; the leftover is named with it
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Writes {@code target} atomically with the given bytes, creating its folder if needed.
     *
     * @param target the file to write or replace
     * @param bytes the new content
     * @throws IOException if writing fails (the target is then unchanged)
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        Objects.requireNonNull(bytes, "bytes");
        write(target, out -> out.write(bytes));
    }
}
