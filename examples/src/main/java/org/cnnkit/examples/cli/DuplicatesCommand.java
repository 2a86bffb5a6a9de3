package org.cnnkit.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.ContactSheet;
import org.cnnkit.retrieval.DuplicateFinder;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.store.StoreSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code duplicates}: the groups of near-duplicate images of an index (the same photo cropped, rotated, resized,
 * re-saved or brightened a little), largest first, found by {@link DuplicateFinder}: candidates from the store's own
 * nearest-neighbour search, each pair verified on the images' pixels when the indexed files can be read (else, or
 * with {@code --features-only}, decided on the features alone); {@code --picture DIR} draws one contact sheet per
 * group.
 *
 * <p>Report keys: {@code groups[]} (each {@code files[]} with {@code file}, {@code distance} and, when decided on
 * pixels, {@code correlation}, and with {@code --picture} {@code picture}), {@code group_count},
 * {@code grouped_images}, {@code indexed}, {@code decision} ({@code pixels} or {@code features}),
 * {@code verified_pairs}, {@code unreadable}, {@code min_correlation}, {@code threshold}, {@code neighbours},
 * {@code store}, {@code root}.
 */
@Command(name = "duplicates", mixinStandardHelpOptions = true,
        description = "Lists the groups of near-duplicate images of an index, largest first.")
public final class DuplicatesCommand extends CliCommand {

    @Mixin
    private EngineOption engine;

    @Option(names = "--index", paramLabel = "INDEX", description = "An index file written by 'index' (short for "
            + "--store exact:INDEX).")
    private Path index;

    @Mixin
    private StoreSelection stores;

    @Option(names = "--root", paramLabel = "DIR",
            description = "Resolve the stored image paths against DIR instead of the root the store records.")
    private Path root;

    @Option(names = "--min-correlation", paramLabel = "C",
            defaultValue = "" + DuplicateFinder.DEFAULT_MIN_CORRELATION,
            description = "On pixels: near-duplicate when the aligned thumbnails correlate at least C, C in (0, 1]."
                    + " Default: ${DEFAULT-VALUE}.")
    private double minCorrelation;

    @Option(names = "--threshold", paramLabel = "R", defaultValue = "" + DuplicateFinder.DEFAULT_THRESHOLD,
            description = "On features (images unreadable, or --features-only): near-duplicate when the distance is at"
                    + " most R times the distance to the farthest of the --neighbours nearest entries, R in (0, 1]."
                    + " Default: ${DEFAULT-VALUE}.")
    private double threshold;

    @Option(names = "--features-only",
            description = "Decide on the features alone, without reading the images (faster, misses many cropped or"
                    + " rotated copies).")
    private boolean featuresOnly;

    @Option(names = "--neighbours", paramLabel = "K", defaultValue = "" + DuplicateFinder.DEFAULT_NEIGHBOURS,
            description = "Nearest entries each image is compared with. Default: ${DEFAULT-VALUE}.")
    private int neighbours;

    @Option(names = "--picture", paramLabel = "DIR",
            description = "Draw each group as DIR/duplicates-N.png (its first image, then the others).")
    private Path picture;

    /** Creates the command; picocli fills in its options. */
    public DuplicatesCommand() {
    }

    @Override
    protected void run(Report report) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw usageError("--threshold must be in (0, 1]: " + threshold);
        }
        if (!(minCorrelation > 0 && minCorrelation <= 1)) {
            throw usageError("--min-correlation must be in (0, 1]: " + minCorrelation);
        }
        if (neighbours < 2) {
            throw usageError("--neighbours must be at least 2: " + neighbours);
        }
        StoreSpec spec = stores.spec(index, "--index").orElseThrow(() -> usageError("give --store SPEC or --index FILE"));
        DuplicateFinder finder = DuplicateFinder.builder().optThreshold(threshold).optNeighbours(neighbours)
                .optMinCorrelation(minCorrelation).build();
        try (ImageSearch opened = ImageSearch.open(spec, stores.options().build(), progress(),
                engine.engineOrDefault())) {
            ImageSearch search = root == null ? opened : opened.withRoot(root);
            DuplicateFinder.Result result = featuresOnly ? finder.find(search.store(), progress())
                    : finder.find(search, progress());
            List<DuplicateFinder.DuplicateGroup> groups = result.groups();
            out().println(result.decision() == DuplicateFinder.Decision.PIXELS
                    ? "decided on pixels: " + result.verifiedPairs() + " candidate pairs aligned"
                    + (result.unreadable() > 0 ? ", " + result.unreadable() + " unreadable image(s) on features" : "")
                    : "decided on features alone (ratio " + threshold + ")");
            if (picture != null) {
                try {
                    Files.createDirectories(picture);
                } catch (java.io.IOException e) {
                    throw new CnnkitException("cannot create the picture folder " + picture + ": " + e.getMessage(), e);
                }
            }
            ContactSheet sheet = new ContactSheet();
            int grouped = 0;
            for (int g = 0; g < groups.size(); g++) {
                DuplicateFinder.DuplicateGroup group = groups.get(g);
                grouped += group.members().size();
                out().printf("group %d (%d images)%n", g + 1, group.members().size());
                Map<String, Object> entry = new LinkedHashMap<>();
                List<Map<String, Object>> files = new ArrayList<>();
                List<ImageSearch.ImageMatch> others = new ArrayList<>();
                for (DuplicateFinder.Member member : group.members()) {
                    Path file = search.fileOf(member.id());
                    Map<String, Object> described = new LinkedHashMap<>();
                    described.put("file", file.toString());
                    described.put("distance", member.distance());
                    if (!Double.isNaN(member.correlation())) {
                        described.put("correlation", member.correlation());
                        out().printf("  %s  %.4f  correlation %.3f%n", file, member.distance(), member.correlation());
                    } else {
                        out().printf("  %s  %.4f%n", file, member.distance());
                    }
                    files.add(described);
                    if (files.size() > 1) {
                        others.add(new ImageSearch.ImageMatch(file, (float) member.distance()));
                    }
                }
                entry.put("files", files);
                if (picture != null) {
                    Path file = picture.resolve("duplicates-" + (g + 1) + ".png");
                    sheet.write(search.fileOf(group.members().get(0).id()), others, file);
                    entry.put("picture", file.toAbsolutePath().normalize().toString());
                    out().println("  picture: " + file);
                }
                report.add("groups", entry);
            }
            if (groups.isEmpty()) {
                report.put("groups", List.of());
                out().println("no near-duplicates");
            }
            report.put("group_count", groups.size());
            report.put("grouped_images", grouped);
            report.put("indexed", search.store().size());
            report.put("decision", result.decision().key());
            report.put("verified_pairs", result.verifiedPairs());
            report.put("unreadable", result.unreadable());
            report.put("min_correlation", minCorrelation);
            report.put("threshold", threshold);
            report.put("neighbours", neighbours);
            report.put("store", spec.toString());
            search.root().ifPresent(folder -> report.put("root", folder));
        }
    }
}
