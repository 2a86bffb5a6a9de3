package org.cnnkit.core.datavec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFiles;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.datavec.api.records.reader.impl.csv.CSVRecordReader;
import org.datavec.api.split.FileSplit;
import org.datavec.api.writable.Writable;

/**
 * A labels file for image collections that are not laid out one class per folder: a CSV file read with DataVec's
 * {@link CSVRecordReader}, one image a line, {@code file,class index,class name}, and optionally a fourth column, the
 * file's path relative to the image folder (Corel-1K's {@code labels.csv} has all four:
 * {@code 0.jpg,0,africa,africa/0.jpg}). A first line whose class index is not a number is a header and skipped.
 *
 * <p>A file is found as the relative path of the fourth column if there is one, else as {@code file} relative to
 * the image folder, else by its name anywhere under the image folder (which must then be unique). Class indices
 * must run from 0 without gaps, and each index must always have the same name.
 */
public final class LabelsFile {

    private LabelsFile() {
    }

    /**
     * Reads a labels file.
     *
     * @param labelsFile the CSV file
     * @param imageFolder the folder the file names are relative to
     * @return the collection, in the labels file's order
     * @throws CnnkitException if a file is missing or unreadable, a line has fewer than 3 columns, a class index is
     *     not a number or has two names, indices have gaps, an image named is not found (or found twice), or
     *     DataVec ({@code org.datavec:datavec-api}) is not on the class path; the message names the file and line
     */
    public static ImageFolder read(Path labelsFile, Path imageFolder) {
        if (!Files.isDirectory(imageFolder)) {
            throw new CnnkitException("image folder " + imageFolder.toAbsolutePath() + " does not exist or is not a folder");
        }
        if (!Files.isRegularFile(labelsFile)) {
            throw new CnnkitException("labels file " + labelsFile.toAbsolutePath() + " does not exist or is not a file");
        }
        try {
            return parse(labelsFile, imageFolder);
        } catch (NoClassDefFoundError e) {
            throw new CnnkitException("reading a labels file needs DataVec: add the dependency"
                    + " org.datavec:datavec-api:1.0.0-M2.1 (missing class " + e.getMessage() + ")", e);
        }
    }

    private static ImageFolder parse(Path labelsFile, Path imageFolder) {
        List<List<Writable>> rows = new ArrayList<>();
        try (CSVRecordReader reader = new CSVRecordReader(0, ',')) {
            reader.initialize(new FileSplit(labelsFile.toFile()));
            while (reader.hasNext()) {
                rows.add(reader.next());
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new CnnkitException("cannot read labels file " + labelsFile.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        Map<Integer, String> names = new TreeMap<>();
        List<LabeledImage> images = new ArrayList<>();
        Map<String, List<Path>> byName = null;
        for (int i = 0; i < rows.size(); i++) {
            List<Writable> row = rows.get(i);
            String where = labelsFile.getFileName() + " line " + (i + 1);
            if (row.size() < 3) {
                throw new CnnkitException(where + ": expected file,class index,class name but got " + row);
            }
            int index;
            try {
                index = Integer.parseInt(row.get(1).toString().trim());
            } catch (NumberFormatException e) {
                if (i == 0) {
                    continue; // a header
                }
                throw new CnnkitException(where + ": class index '" + row.get(1) + "' is not a number");
            }
            String name = row.get(2).toString().trim();
            if (index < 0 || name.isEmpty()) {
                throw new CnnkitException(where + ": class index " + index + " and name '" + name + "' are not valid");
            }
            String known = names.putIfAbsent(index, name);
            if (known != null && !known.equals(name)) {
                throw new CnnkitException(where + ": class index " + index + " is named '" + name
                        + "' here but '" + known + "' before");
            }
            Path file = null;
            String fileName = row.get(0).toString().trim();
            if (row.size() > 3 && !row.get(3).toString().isBlank()) {
                file = imageFolder.resolve(row.get(3).toString().trim());
            } else if (Files.isRegularFile(imageFolder.resolve(fileName))) {
                file = imageFolder.resolve(fileName);
            } else {
                if (byName == null) {
                    byName = indexByName(imageFolder);
                }
                List<Path> found = byName.getOrDefault(fileName, List.of());
                if (found.size() > 1) {
                    throw new CnnkitException(where + ": " + fileName + " is found " + found.size()
                            + " times under " + imageFolder.toAbsolutePath() + " (" + found.get(0) + ", "
                            + found.get(1) + "); give its relative path in a fourth column");
                }
                file = found.isEmpty() ? imageFolder.resolve(fileName) : found.get(0);
            }
            if (!Files.isRegularFile(file)) {
                throw new CnnkitException(where + ": image " + file.toAbsolutePath() + " does not exist");
            }
            images.add(new LabeledImage(file, index));
        }
        List<String> classNames = new ArrayList<>();
        for (Map.Entry<Integer, String> entry : names.entrySet()) {
            if (entry.getKey() != classNames.size()) {
                throw new CnnkitException("labels file " + labelsFile.toAbsolutePath() + ": class indices must run"
                        + " from 0 without gaps, but " + classNames.size() + " is missing (indices " + names.keySet()
                        + ")");
            }
            classNames.add(entry.getValue());
        }
        return ImageFolder.of(imageFolder, classNames, images);
    }

    private static Map<String, List<Path>> indexByName(Path imageFolder) {
        Map<String, List<Path>> byName = new HashMap<>();
        for (Path file : ImageFiles.listRecursive(imageFolder)) {
            byName.computeIfAbsent(file.getFileName().toString(), k -> new ArrayList<>()).add(file);
        }
        return byName;
    }
}
