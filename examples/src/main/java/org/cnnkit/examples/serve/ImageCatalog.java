package org.cnnkit.examples.serve;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.QueryExpansion;
import org.cnnkit.retrieval.store.VectorStore;

/**
 * What the server searches: an {@link ImageSearch} (its extractor and store) and the files of the stored images. An
 * entry's file is found from its stored id alone ({@link ImageSearch#fileOf}); an id that is not stored, a relative
 * id that would leave the root, or a file that is gone is never served.
 */
final class ImageCatalog {

    private final ImageSearch search;
    private final VectorStore store;
    private final String storeName;

    ImageCatalog(ImageSearch search, String storeName) {
        this.search = Objects.requireNonNull(search, "search");
        this.store = search.store();
        this.storeName = storeName == null ? store.toString() : storeName;
    }

    FeatureExtractor extractor() {
        return search.extractor();
    }

    String storeName() {
        return storeName;
    }

    long size() {
        return store.size();
    }

    int dimension() {
        return store.schema().dimension();
    }

    String metric() {
        return store.schema().metric().name().toLowerCase(Locale.ROOT);
    }

    boolean contains(String id) {
        return store.contains(id);
    }

    /** The k nearest entries to each extracted query vector, nearest first (through the store's query expansion). */
    List<List<Match>> search(float[][] queries, int k) {
        Optional<QueryExpansion> expansion = store.schema().settings().expansion();
        return expansion.isPresent() ? expansion.get().search(store, queries, k) : store.search(queries, k);
    }

    /** The k nearest entries to a stored one, the entry itself left out (through the store's query expansion). */
    List<Match> searchById(String id, int k) {
        Optional<QueryExpansion> expansion = store.schema().settings().expansion();
        return expansion.isPresent() ? expansion.get().searchById(store, id, k) : store.searchById(id, k);
    }

    /** The file of a stored entry, if the id is stored and its file is a regular file. */
    Optional<Path> fileOf(String id) {
        if (!store.contains(id)) {
            return Optional.empty();
        }
        Path file;
        boolean relative;
        try {
            file = search.fileOf(id).toAbsolutePath().normalize();
            relative = !id.startsWith("file:") && !Path.of(id).isAbsolute();
        } catch (IllegalArgumentException e) { // InvalidPathException, a bad file: URI
            return Optional.empty();
        }
        if (relative && search.root().map(root -> !file.startsWith(root.toAbsolutePath().normalize())).orElse(true)) {
            return Optional.empty();
        }
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** The file name shown for an entry: the last part of its id. */
    static String displayName(String id) {
        int slash = Math.max(id.lastIndexOf('/'), id.lastIndexOf('\\'));
        return slash >= 0 ? id.substring(slash + 1) : id;
    }
}
