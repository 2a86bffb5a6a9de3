package org.cnnkit.examples.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.cnnkit.examples.PatternGallery;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;

/** A small generated gallery indexed with {@link ColourLayoutExtractor}, and hostile files for the tests. */
final class TestGallery {

    final Path folder;
    final ColourLayoutExtractor extractor = new ColourLayoutExtractor();
    final ImageSearch search;
    final Path indexFile;

    TestGallery(Path dir, int perFamily) {
        this.folder = dir.resolve("gallery");
        PatternGallery.write(folder, perFamily, 64, 7);
        this.search = ImageSearch.create(extractor, SearchSettings.raw());
        search.indexFolder(folder, ProgressListener.none());
        this.indexFile = dir.resolve("gallery.cfi");
        search.save(indexFile);
    }

    SearchServer.Builder server() {
        return SearchServer.builder().setSearch(search).optPort(0).optStoreName("exact:test.cfi");
    }

    /** The same index searched with another extractor object (of the same identity). */
    ImageSearch searchWith(FeatureExtractor other) {
        return ImageSearch.open(indexFile, other);
    }

    Path anyImage() throws IOException {
        try (var files = Files.walk(folder)) {
            return files.filter(f -> f.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        }
    }

    /** A PNG whose header claims width x height pixels, with no real pixel data: a decompression bomb's header. */
    static byte[] pngHeaderClaiming(int width, int height) {
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, width);
        putInt(ihdr, 4, height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // RGB
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr);
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) {
        byte[] length = new byte[4];
        putInt(length, 0, data.length);
        out.writeBytes(length);
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        byte[] sum = new byte[4];
        putInt(sum, 0, (int) crc.getValue());
        out.writeBytes(sum);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
