package org.cnnkit.retrieval;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns image files into store ids and back. With a root, a file under it is keyed by its path relative to the root
 * with {@code /} separators ({@code beach/12.jpg}) and a file elsewhere by its {@code file:} URI; without a root
 * (indexes written before roots existed) ids are absolute paths, as they were.
 */
final class ImageIds {

    private final Path root;

    private ImageIds(Path root) {
        this.root = root;
    }

    /** Ids relative to a root folder. */
    static ImageIds relativeTo(Path root) {
        return new ImageIds(root.toAbsolutePath().normalize());
    }

    /** Ids that are absolute paths (format-1 indexes without a recorded root). */
    static ImageIds absolute() {
        return new ImageIds(null);
    }

    Optional<Path> root() {
        return Optional.ofNullable(root);
    }

    String idOf(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        if (root == null) {
            return absolute.toString();
        }
        if (absolute.startsWith(root) && !absolute.equals(root)) {
            Path relative = root.relativize(absolute);
            StringBuilder id = new StringBuilder();
            for (Path part : relative) {
                if (id.length() > 0) {
                    id.append('/');
                }
                id.append(part);
            }
            return id.toString();
        }
        return absolute.toUri().toString();
    }

    Path pathOf(String id) {
        if (id.startsWith("file:")) {
            return Path.of(URI.create(id));
        }
        Path path = Path.of(id);
        if (path.isAbsolute() || root == null) {
            return path;
        }
        Path resolved = root;
        for (String part : id.split("/")) {
            if (!part.isEmpty()) {
                resolved = resolved.resolve(part);
            }
        }
        return resolved.normalize();
    }
}
