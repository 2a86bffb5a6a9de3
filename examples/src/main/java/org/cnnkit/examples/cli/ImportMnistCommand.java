package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.Mnist;
import org.cnnkit.core.data.MnistDigits;
import org.cnnkit.core.data.MnistExportSummary;
import org.cnnkit.core.data.MnistPngExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code import-mnist}: writes MNIST IDX digits (gzip or raw) as PNG files into a class-per-folder tree,
 * {@code <out>/<digit>/<index>.png}.
 *
 * <p>Report keys: {@code images} (files written), {@code classes} (folder names), {@code per_class} (files per
 * class), {@code source.images}, {@code source.labels}, {@code source.count}, {@code image_size.height},
 * {@code image_size.width}, {@code out}, {@code limit}.
 */
@Command(name = "import-mnist",
        mixinStandardHelpOptions = true,
        description = "Writes MNIST IDX digits (gzip or raw) as PNG files, one folder per class: OUT/<digit>/<index>.png.")
public final class ImportMnistCommand extends CliCommand {

    @Option(names = "--images", required = true, paramLabel = "FILE",
            description = "IDX image file (magic 2051), gzip or raw, e.g. t10k-images-idx3-ubyte.gz.")
    private Path images;

    @Option(names = "--labels", required = true, paramLabel = "FILE",
            description = "IDX label file (magic 2049), gzip or raw, e.g. t10k-labels-idx1-ubyte.gz.")
    private Path labels;

    @Option(names = "--classes", split = ",", paramLabel = "DIGIT",
            description = "Only these classes, comma-separated (default: all), e.g. 0,1,2.")
    private List<Integer> classes;

    @Option(names = "--limit", paramLabel = "N",
            description = "At most N images in all, balanced over the classes; the first ones of each class.")
    private Integer limit;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Root folder of the class-per-folder tree; created when missing, files of the same name "
                    + "replaced.")
    private Path out;

    /** Creates the command; picocli fills in its options. */
    public ImportMnistCommand() {
    }

    /**
     * Reads the IDX pair, keeps the requested classes and limit, and writes the PNG files.
     *
     * @param report filled with the keys listed in the class description
     * @throws CnnkitException if a file is missing, damaged or disagrees with the other, if a requested class has no
     *     images, or if a PNG file cannot be written
     */
    @Override
    protected void run(Report report) {
        if (limit != null && limit < 1) {
            throw usageError("--limit must be at least 1: " + limit);
        }
        if (classes != null) {
            for (int c : classes) {
                if (c < 0 || c > 255) {
                    throw usageError("--classes: an IDX label is 0..255, got " + c);
                }
            }
        }
        MnistDigits all = Mnist.read(images, labels);
        MnistDigits chosen = all;
        if (classes != null) {
            chosen = all.onlyClasses(classes);
            TreeSet<Integer> missing = new TreeSet<>(classes);
            missing.removeAll(chosen.classes());
            if (!missing.isEmpty()) {
                throw new CnnkitException("no images of class " + missing.stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")) + " in " + labels + " (classes present: "
                        + all.classes() + ")");
            }
        }
        if (limit != null) {
            chosen = chosen.balancedLimit(limit);
        }
        MnistExportSummary summary = MnistPngExporter.builder()
                .setFolder(out)
                .optProgressListener(progress())
                .build()
                .export(chosen);

        SortedMap<Integer, Integer> counts = summary.countsByClass();
        List<String> classNames = counts.keySet().stream().map(String::valueOf).toList();
        report.put("images", summary.images());
        report.put("classes", classNames);
        report.put("per_class", counts.entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().toString(), Map.Entry::getValue, (a, b) -> a,
                        java.util.LinkedHashMap::new)));
        report.put("source.images", images.toAbsolutePath().normalize());
        report.put("source.labels", labels.toAbsolutePath().normalize());
        report.put("source.count", all.size());
        report.put("image_size.height", all.rows());
        report.put("image_size.width", all.cols());
        report.put("limit", limit);
        report.put("out", out.toAbsolutePath().normalize());
        out().printf("Wrote %d images of %dx%d to %s (%s)%n", summary.images(), all.rows(), all.cols(), out,
                counts.entrySet().stream().map(e -> "class " + e.getKey() + ": " + e.getValue())
                        .collect(Collectors.joining(", ")));
    }
}
