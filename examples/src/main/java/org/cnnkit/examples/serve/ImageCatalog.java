package org.cnnkit.examples.serve;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.FeatureIndex;
import org.cnnkit.retrieval.Match;

/**
 * What the server searches: an extractor, the vectors it made, and where the indexed image files are. An entry's
 * file is found from its id alone: ids that are absolute paths as they are, other ids relative to the root folder;
 * a file outside the root (or any id not stored) is never served.
 */
final class ImageCatalog {

    private final FeatureExtractor extractor;
    private final FeatureIndex index;
    private final Optional<Path> root;
    private final String storeName;

    ImageCatalog(FeatureExtractor extractor, FeatureIndex index, Optional<Path> root, String storeName) {
        this.extractor = Objects.requireNonNull(extractor, "extractor");
        this.index = Objects.requireNonNull(index, "index");
        this.root = root.map(r -> r.toAbsolutePath().normalize());
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        index.requireCompatible(extractor.identity());
    }

    FeatureExtractor extractor() {
        return extractor;
    }

    String storeName() {
        return storeName;
    }

    int size() {
        return index.size();
    }

    int dimension() {
        return index.dimension();
    }

    String metric() {
        return index.metric().name().toLowerCase(java.util.Locale.ROOT);
    }

    boolean contains(String id) {
        return index.contains(id);
    }

    /** The k nearest entries to each extracted query vector, nearest first. */
    List<List<Match>> search(float[][] queries, int k) {
        return index.search(queries, k);
    }

    /** The k nearest entries to a stored one, the entry itself left out. */
    List<Match> searchById(String id, int k) {
        float[] vector = index.vector(id).orElseThrow(() -> new CnnkitException("no indexed image has the id " + id));
        List<Match> found = index.search(new float[][] {vector}, k + 1).get(0);
        List<Match> others = new ArrayList<>(k);
        for (Match match : found) {
            if (!match.id().equals(id) && others.size() < k) {
                others.add(match);
            }
        }
        return others;
    }

    /**
     * The file of a stored entry, if the id is stored and its file is a regular file (inside the root when there is
     * one).
     */
    Optional<Path> fileOf(String id) {
        if (!index.contains(id)) {
            return Optional.empty();
        }
        Path file;
        try {
            Path path = Path.of(id);
            file = path.isAbsolute() ? path.normalize()
                    : root.map(r -> r.resolve(path).normalize()).orElse(null);
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        if (file == null || (root.isPresent() && !file.startsWith(root.get())) || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(file);
    }

    /** The file name shown for an entry: the last part of its id. */
    static String displayName(String id) {
        int slash = Math.max(id.lastIndexOf('/'), id.lastIndexOf('\\'));
        return slash >= 0 ? id.substring(slash + 1) : id;
    }
}
