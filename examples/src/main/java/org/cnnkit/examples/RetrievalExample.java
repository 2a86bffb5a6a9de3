package org.cnnkit.examples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ContactSheet;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.RetrievalEvaluation;
import org.cnnkit.retrieval.RetrievalMetrics;
import org.cnnkit.retrieval.SearchSettings;

/**
 * Image retrieval end to end on the embedded default database, {@link PatternGallery}: draw the database and a few
 * query pictures, index the database, save the index, search it with each query, draw a contact sheet per query,
 * and measure leave-one-out retrieval quality of the database.
 *
 * <pre>
 * java -cp cnnkit.jar org.cnnkit.examples.RetrievalExample [OUT_DIR] [vgg16|mobilenetv2 [WEIGHTS [ALPHA]]]
 * </pre>
 * Defaults: {@code target/retrieval-example}, VGG16 fc2 with the pretrained Keras weights (from
 * {@code ~/.cnnkit/models}, downloaded once, 528 MB). With MobileNetV2, pass the Keras no-top weights file and its
 * alpha, e.g. {@code mobilenetv2 mobilenet_v2_0.35_224_no_top.weights.h5 0.35}.
 */
public final class RetrievalExample {

    private RetrievalExample() {
    }

    /**
     * Runs the example.
     *
     * @param args optional: output folder, extractor name, weights file, alpha
     */
    public static void main(String[] args) {
        Path out = Path.of(args.length > 0 ? args[0] : "target/retrieval-example");
        ExtractorSpec spec = ExtractorSpec.vgg16();
        if (args.length > 1) {
            ExtractorSpec.Kind kind = ExtractorSpec.Kind.parse(args[1]);
            double alpha = args.length > 3 ? Double.parseDouble(args[3]) : 1.0;
            spec = new ExtractorSpec(kind, alpha, java.util.Optional.empty(), 224);
            if (args.length > 2) {
                spec = spec.withWeights(Path.of(args[2]));
            }
        }
        ProgressListener progress = p -> {
            if (p.finished()) {
                System.out.printf(Locale.ROOT, "  %s: %d done in %.1f s%n", p.task(), p.done(), p.elapsed().toMillis() / 1e3);
            }
        };

        // 1. The database and the queries: pictures the project draws itself.
        Path database = out.resolve("database");
        Path queries = out.resolve("queries");
        int drawn = PatternGallery.write(database, 12, 160, 1);
        PatternGallery.write(queries, 1, 160, 2);
        System.out.println("Drew " + drawn + " database pictures in " + PatternGallery.FAMILIES.size()
                + " families under " + database);

        // 2. Index the database and save the index.
        ImageSearch search = ImageSearch.create(spec, SearchSettings.defaults(), progress);
        ImageSearch.IndexingReport report = search.indexFolder(database, progress);
        Path indexFile = out.resolve("database.cfi");
        search.save(indexFile);
        System.out.printf(Locale.ROOT, "Indexed %d pictures with %s (%d values each) in %.1f s: %s%n",
                report.indexed(), search.extractor().name(), search.extractor().dimension(),
                report.elapsed().toMillis() / 1e3, indexFile);

        // 3. Search with one new picture of each family; draw each result.
        List<Path> queryFiles = new ArrayList<>();
        for (String family : PatternGallery.FAMILIES) {
            queryFiles.add(queries.resolve(family).resolve(family + "-00.png"));
        }
        ContactSheet sheet = new ContactSheet(160);
        for (ImageSearch.QueryResult result : search.search(queryFiles, 4, progress)) {
            System.out.println("query " + out.relativize(result.query()));
            for (ImageSearch.ImageMatch match : result.matches()) {
                System.out.printf(Locale.ROOT, "   %.4f  %s%n", match.distance(), database.toAbsolutePath().normalize()
                        .relativize(match.file()));
            }
            Path picture = out.resolve("result-" + result.query().getParent().getFileName() + ".png");
            sheet.write(result.query(), result.matches(), picture);
        }
        System.out.println("Pictures of the results: " + out.resolve("result-*.png"));

        // 4. How well does it retrieve? Every database picture queries all the others.
        RetrievalEvaluation.LabeledFeatures features = RetrievalEvaluation.LabeledFeatures.extract(database,
                search.extractor(), progress);
        for (SearchSettings settings : List.of(SearchSettings.raw(), SearchSettings.defaults())) {
            RetrievalMetrics metrics = RetrievalEvaluation.evaluate(features.vectors(), features.labels(), settings);
            System.out.printf("%-45s %s%n", settings.describe(), metrics);
        }
    }
}
