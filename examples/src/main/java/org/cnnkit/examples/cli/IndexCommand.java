package org.cnnkit.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureIndex;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code index}: extracts the features of every image under a folder and writes a feature index; when the index
 * exists, only new or changed files are extracted (and entries of deleted files dropped), by default with the
 * extractor the index records.
 *
 * <p>Report keys: {@code indexed}, {@code skipped}, {@code skipped_files[].file}, {@code skipped_files[].reason},
 * {@code unchanged}, {@code removed}, {@code total}, {@code dimension}, {@code seconds_indexing},
 * {@code extractor.*}, {@code engine}, {@code settings}, {@code index}.
 */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Extracts features of every image under DIR into a feature index (only new or changed files "
                + "when INDEX exists).")
public final class IndexCommand extends CliCommand {

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Folder of images, searched recursively.")
    private Path data;

    @Mixin
    private EngineOption engine;

    @Mixin
    private ExtractorOptions extractor;

    @Option(names = "--out", required = true, paramLabel = "INDEX", description = "The index file to write or update.")
    private Path out;

    /** Creates the command; picocli fills in its options. */
    public IndexCommand() {
    }

    @Override
    protected void run(Report report) {
        // Checked before the extractor is built: that may load (or download) hundreds of megabytes of weights.
        if (!Files.isDirectory(data)) {
            throw new CnnkitException("image folder " + (Files.exists(data) ? "is not a folder" : "does not exist")
                    + ": " + data.toAbsolutePath());
        }
        ImageSearch search;
        if (Files.exists(out)) {
            // An existing index is read (and checked for damage) first, then updated with the extractor it records
            // unless --extractor names another; ImageSearch.of checks that it is the one that made the index.
            FeatureIndex existing = FeatureIndex.open(out);
            ExtractorSpec spec = extractor.spec(ExtractorSpec.fromProperties(existing.properties()));
            search = ImageSearch.of(existing, spec.create(progress(), engine.engineOrDefault()));
        } else {
            search = ImageSearch.create(extractor.spec(), SearchSettings.defaults(), progress(),
                    engine.engineOrDefault());
        }
        ImageSearch.IndexingReport result = search.indexFolder(data, progress());
        search.save(out);
        report.put("indexed", result.indexed());
        report.put("skipped", result.skipped().size());
        for (ExtractionResult.SkippedFile skip : result.skipped()) {
            report.add("skipped_files", Map.of("file", skip.path().toString(), "reason", skip.reason()));
        }
        report.put("unchanged", result.unchanged());
        report.put("removed", result.removed());
        report.put("total", result.total());
        report.put("dimension", search.extractor().dimension());
        report.put("seconds_indexing", result.elapsed().toNanos() / 1e9);
        report.put("extractor.name", search.extractor().name());
        report.put("engine", search.extractor().engine().id());
        report.put("extractor.identity", search.extractor().identity().describe());
        report.put("extractor.weights_sha256", search.extractor().identity().weightsChecksum());
        report.put("settings", search.index().transforms().toString() + " " + search.index().metric());
        report.put("index", out.toAbsolutePath().normalize());
        out().printf("Indexed %d images (%d unchanged, %d removed, %d skipped) into %s: %d entries of %d values%n",
                result.indexed(), result.unchanged(), result.removed(), result.skipped().size(), out, result.total(),
                search.extractor().dimension());
        for (ExtractionResult.SkippedFile skip : result.skipped()) {
            err().println("skipped " + skip.path() + ": " + skip.reason());
        }
    }
}
