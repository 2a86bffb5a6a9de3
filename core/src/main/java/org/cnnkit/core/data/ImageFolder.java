package org.cnnkit.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cnnkit.core.CnnkitException;

/**
 * A class-per-folder image tree, as Keras' {@code flow_from_directory} reads it: the root holds one
 * sub-folder per class, and each class folder holds that class's images (in nested folders too).
 *
 * <p>Class indices are the positions of the folder names in their sorted order (String natural order),
 * so they are stable for a given set of folders. Hidden files and folders (names starting with a dot) are
 * skipped, files lying in the root itself are ignored, and only PNG, JPEG, BMP and GIF files count (see
 * {@link ImageFiles#isImage}). An instance is an immutable snapshot of the tree at the time of the scan.
 *
 * <p>A collection laid out otherwise (a labels file, a DataVec {@code InputSplit} with a
 * {@code PathLabelGenerator}; see {@code org.cnnkit.core.datavec}) becomes an {@code ImageFolder} through
 * {@link #of}, and then goes everywhere a scanned tree goes (trainers, evaluation, retrieval evaluation).
 */
public final class ImageFolder {

    private final Path root;
    private final List<String> classNames;
    private final List<LabeledImage> images;
    private final Map<String, Integer> countsPerClass;

    private ImageFolder(Path root, List<String> classNames, List<LabeledImage> images,
            Map<String, Integer> countsPerClass) {
        this.root = root;
        this.classNames = classNames;
        this.images = images;
        this.countsPerClass = countsPerClass;
    }

    /**
     * Scans a class-per-folder tree.
     *
     * @param root the folder holding one sub-folder per class
     * @return the scanned tree
     * @throws CnnkitException if the root does not exist, is not a folder, cannot be read, has no
     *     (visible) class folder, or if a class folder holds no image; the message names the path
     */
    public static ImageFolder scan(Path root) {
        ImageFiles.requireDirectory(root, "image folder");
        List<Path> classDirs = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            children.filter(Files::isDirectory)
                    .filter(p -> !ImageFiles.isHiddenName(p.getFileName().toString()))
                    .forEach(classDirs::add);
        } catch (IOException e) {
            throw new CnnkitException("cannot read image folder " + root.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        if (classDirs.isEmpty()) {
            throw new CnnkitException("image folder " + root.toAbsolutePath()
                    + " has no class folders: expected one sub-folder per class, each holding that class's images");
        }
        classDirs.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        List<String> names = new ArrayList<>();
        List<LabeledImage> images = new ArrayList<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int label = 0; label < classDirs.size(); label++) {
            Path dir = classDirs.get(label);
            String name = dir.getFileName().toString();
            List<Path> files = ImageFiles.listRecursive(dir);
            if (files.isEmpty()) {
                throw new CnnkitException("class folder " + dir.toAbsolutePath()
                        + " holds no image (png, jpg, jpeg, bmp or gif)");
            }
            names.add(name);
            counts.put(name, files.size());
            for (Path file : files) {
                images.add(new LabeledImage(file, label));
            }
        }
        return new ImageFolder(root, List.copyOf(names), List.copyOf(images),
                Collections.unmodifiableMap(counts));
    }

    /**
     * A labelled collection given image by image, for collections that are not one folder per class.
     *
     * @param root the folder the images lie under (reported with the collection; the images need not be in it)
     * @param classNames the class names; a label is a position in this list
     * @param images the images with their labels, in the order they are to be used
     * @return the collection
     * @throws CnnkitException if there are no class names or no images, a class name is blank or repeated, a
     *     label is not a position in {@code classNames}, or a class has no image; the message names the class or file
     */
    public static ImageFolder of(Path root, List<String> classNames, List<LabeledImage> images) {
        if (classNames.isEmpty() || images.isEmpty()) {
            throw new CnnkitException("image collection under " + root.toAbsolutePath() + " has "
                    + classNames.size() + " classes and " + images.size() + " images: it needs both");
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String name : classNames) {
            if (name.isBlank() || counts.put(name, 0) != null) {
                throw new CnnkitException("image collection under " + root.toAbsolutePath()
                        + ": class name '" + name + "' is blank or repeated");
            }
        }
        for (LabeledImage image : images) {
            if (image.label() >= classNames.size()) {
                throw new CnnkitException("image " + image.path() + " has label " + image.label() + " but there are only "
                        + classNames.size() + " classes " + classNames);
            }
            counts.merge(classNames.get(image.label()), 1, Integer::sum);
        }
        counts.forEach((name, count) -> {
            if (count == 0) {
                throw new CnnkitException("image collection under " + root.toAbsolutePath() + ": class '" + name
                        + "' has no image");
            }
        });
        return new ImageFolder(root, List.copyOf(classNames), List.copyOf(images), Collections.unmodifiableMap(counts));
    }

    /** {@return the scanned root folder, as given to {@link #scan} or {@link #of}} */
    public Path root() {
        return root;
    }

    /** {@return the class names (the class folders' names), sorted; a class's label is its index here} */
    public List<String> classNames() {
        return classNames;
    }

    /** {@return the number of classes} */
    public int numClasses() {
        return classNames.size();
    }

    /** {@return every image with its label, ordered by label, then by path within the class folder} */
    public List<LabeledImage> images() {
        return images;
    }

    /** {@return the number of images of each class, in label order} */
    public Map<String, Integer> countsPerClass() {
        return countsPerClass;
    }

    @Override
    public String toString() {
        return "ImageFolder[" + root + ", " + images.size() + " images, classes " + countsPerClass + "]";
    }
}
