package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.retrieval.ContactSheet;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.store.StoreSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code search}: the top-N most similar indexed images for each query image, nearest first; {@code --picture}
 * draws each query above its matches.
 *
 * <p>The store is {@code --store SPEC} or {@code --index FILE} (short for {@code exact:FILE}); matched files are
 * printed and reported resolved against the root folder the store records, or against {@code --root DIR} when the
 * images now live elsewhere.
 *
 * <p>Report keys: {@code results[].query}, {@code results[].matches[].file}, {@code results[].matches[].distance},
 * {@code results[].picture}, {@code store}, {@code root}, {@code index} (exact stores), {@code indexed},
 * {@code metric}, {@code top}.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Finds the most similar indexed images for each IMAGE, nearest first.")
public final class SearchCommand extends CliCommand {

    @Option(names = "--index", paramLabel = "INDEX", description = "An index file written by 'index' (short for "
            + "--store exact:INDEX).")
    private Path index;

    @Mixin
    private StoreSelection stores;

    @Option(names = "--root", paramLabel = "DIR",
            description = "Resolve the stored image paths against DIR instead of the root the store records.")
    private Path root;

    @Option(names = "--top", paramLabel = "N", defaultValue = "4", description = "Matches per query. Default: ${DEFAULT-VALUE}.")
    private int top;

    @Option(names = "--picture", paramLabel = "OUT.png",
            description = "Draw the query row and the result row as a PNG (OUT-2.png, ... for further queries).")
    private Path picture;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Query images.")
    private List<Path> images;

    /** Creates the command; picocli fills in its options. */
    public SearchCommand() {
    }

    @Override
    protected void run(Report report) {
        if (top < 1) {
            throw usageError("--top must be at least 1: " + top);
        }
        StoreSpec spec = stores.spec(index, "--index").orElseThrow(() -> usageError("give --store SPEC or --index FILE"));
        try (ImageSearch opened = ImageSearch.open(spec, stores.options().build(), progress())) {
            ImageSearch search = root == null ? opened : opened.withRoot(root);
            run(report, spec, search);
        }
    }

    private void run(Report report, StoreSpec spec, ImageSearch search) {
        List<ImageSearch.QueryResult> results = search.search(images, top, progress());
        ContactSheet sheet = new ContactSheet();
        for (int i = 0; i < results.size(); i++) {
            ImageSearch.QueryResult result = results.get(i);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("query", result.query().toString());
            List<Map<String, Object>> matches = new ArrayList<>();
            out().println(result.query());
            int rank = 1;
            for (ImageSearch.ImageMatch match : result.matches()) {
                matches.add(Map.of("file", match.file().toString(), "distance", match.distance()));
                out().printf("  %d. %s  %.4f%n", rank++, match.file(), match.distance());
            }
            entry.put("matches", matches);
            if (picture != null) {
                Path file = i == 0 ? picture : numbered(picture, i + 1);
                sheet.write(result.query(), result.matches(), file);
                entry.put("picture", file.toAbsolutePath().normalize().toString());
                out().println("  picture: " + file);
            }
            report.add("results", entry);
        }
        report.put("store", spec.toString());
        search.root().ifPresent(folder -> report.put("root", folder));
        if (spec.kind() == StoreSpec.Kind.EXACT) {
            report.put("index", Path.of(spec.location()).toAbsolutePath().normalize());
        }
        report.put("indexed", search.store().size());
        report.put("metric", search.store().schema().metric().name().toLowerCase(java.util.Locale.ROOT));
        report.put("top", top);
    }

    private static Path numbered(Path file, int number) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String numbered = dot > 0 ? name.substring(0, dot) + "-" + number + name.substring(dot) : name + "-" + number;
        return file.resolveSibling(numbered);
    }
}
