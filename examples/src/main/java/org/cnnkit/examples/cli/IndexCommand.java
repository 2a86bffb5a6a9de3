package org.cnnkit.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code index}: extracts the features of every image under a folder and writes a feature index; when the index
 * exists, only new or changed files are extracted (and entries of deleted files dropped).
 *
 * <p>Report keys: {@code indexed}, {@code skipped}, {@code skipped_files[].file}, {@code skipped_files[].reason},
 * {@code unchanged}, {@code removed}, {@code total}, {@code dimension}, {@code seconds_indexing},
 * {@code extractor.*}, {@code settings}, {@code index}.
 */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Extracts features of every image under DIR into a feature index (only new or changed files "
                + "when INDEX exists).")
public final class IndexCommand extends CliCommand {

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Folder of images, searched recursively.")
    private Path data;

    @Mixin
    private ExtractorOptions extractor;

    @Option(names = "--out", required = true, paramLabel = "INDEX", description = "The index file to write or update.")
    private Path out;

    /** Creates the command; picocli fills in its options. */
    public IndexCommand() {
    }

    @Override
    protected void run(Report report) {
        ImageSearch search = Files.exists(out) ? ImageSearch.open(out, progress())
                : ImageSearch.create(extractor.spec(), SearchSettings.defaults(), progress());
        if (Files.exists(out)) {
            search.index().requireCompatible(extractor.spec().create(progress()).identity());
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
