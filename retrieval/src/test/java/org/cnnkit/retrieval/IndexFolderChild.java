package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.Map;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;

/**
 * A child process of {@link TwoWriterIndexingTest}: indexes one folder into a store, as {@code cnnkit index} does,
 * and prints {@code total N}. Arguments: FOLDER SPEC.
 */
public final class IndexFolderChild {

    private IndexFolderChild() {
    }

    /**
     * Indexes the folder.
     *
     * @param args FOLDER SPEC
     */
    public static void main(String[] args) {
        Path folder = Path.of(args[0]);
        StoreSpec spec = StoreSpec.parse(args[1]);
        TinyExtractor extractor = new TinyExtractor(8);
        StoreSchema schema = ImageSearch.newStoreSchema(spec, extractor.identity(), SearchSettings.defaults(),
                Map.of(), folder);
        try (ImageSearch search = ImageSearch.open(spec, StoreOptions.builder().optSchemaForNewStore(schema).build(),
                extractor)) {
            ImageSearch.IndexingReport report = search.indexFolder(folder, null);
            System.out.println("indexed " + report.indexed() + " total " + report.total());
        }
    }
}
