package org.cnnkit.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.cnnkit.core.CnnkitException;

/**
 * Finds image files by name: the extensions cnnkit reads (PNG, JPEG, BMP, GIF) and the files and folders
 * it skips (hidden ones).
 */
public final class ImageFiles {

    private static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private ImageFiles() {
    }

    /**
     * Returns whether a path names an image file cnnkit reads, judged by its extension
     * ({@code png}, {@code jpg}, {@code jpeg}, {@code bmp}, {@code gif}, any case) and not hidden
     * (its name does not start with a dot). The file's content is not looked at.
     *
     * @param path a file path
     * @return whether the name is that of a readable, visible image
     */
    public static boolean isImage(Path path) {
        Path name = path.getFileName();
        if (name == null) {
            return false;
        }
        String text = name.toString();
        if (isHiddenName(text)) {
            return false;
        }
        int dot = text.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(text.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Lists every image file under a folder, in sub-folders too, sorted by path; hidden files and
     * everything inside hidden folders are skipped. {@code root} itself may be a symbolic link; inside it,
     * links to files are followed, links to folders are not.
     *
     * @param root the folder to walk
     * @return the image files, sorted by their path (String order of the path relative to {@code root})
     * @throws CnnkitException if {@code root} does not exist, is not a folder, or cannot be read
     */
    public static List<Path> listRecursive(Path root) {
        requireDirectory(root, "image folder");
        List<Path> found = new ArrayList<>();
        try {
            // walk the real folder (root may itself be a link, e.g. a linked class folder), report under root
            Path real = root.toRealPath();
            try (Stream<Path> walk = Files.walk(real)) {
                walk.filter(p -> !p.equals(real))
                        .filter(p -> !hasHiddenPart(real.relativize(p)))
                        .filter(ImageFiles::isImage)
                        .filter(Files::isRegularFile)
                        .forEach(p -> found.add(root.resolve(real.relativize(p).toString())));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new CnnkitException("cannot read image folder " + root + ": " + e.getMessage(), e);
        }
        found.sort((a, b) -> root.relativize(a).toString().compareTo(root.relativize(b).toString()));
        return List.copyOf(found);
    }

    /** Returns whether a file or folder name is hidden (starts with a dot). */
    static boolean isHiddenName(String name) {
        return name.startsWith(".");
    }

    /** Throws a CnnkitException naming {@code what} and the path if the path is not an existing folder. */
    static void requireDirectory(Path root, String what) {
        if (!Files.exists(root)) {
            throw new CnnkitException(what + " does not exist: " + root.toAbsolutePath());
        }
        if (!Files.isDirectory(root)) {
            throw new CnnkitException(what + " is not a folder: " + root.toAbsolutePath());
        }
    }

    private static boolean hasHiddenPart(Path relative) {
        for (Path part : relative) {
            if (isHiddenName(part.toString())) {
                return true;
            }
        }
        return false;
    }
}
