package org.cnnkit.retrieval.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.io.WriterLock;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.FeatureIndex;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.SearchPipeline;
import org.cnnkit.retrieval.VectorTransform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exact store: a {@link FeatureIndex} in memory, saved to one {@code .cfi} file (the format
 * {@link FeatureIndex#save(Path)} writes; files of format 1 open as they are). Searches compare the query with every
 * stored vector, so results are exact; memory is about {@code 4 * dimension} bytes per vector, twice that when the
 * transforms change the vectors.
 *
 * <h2>Writes: one writer at a time, across processes</h2>
 * Every {@link #write} and {@link #refit} is a read-modify-write of the file under its {@link WriterLock}
 * ({@code NAME.lock}): the lock is taken (waiting up to {@link StoreOptions#lockTimeout()}), the file is read again if
 * another process replaced it since this store last read or wrote it (its identity, size, time and checksum are
 * compared), the batch is applied to that state, the whole file is written to a temporary file and moved over the
 * old one atomically, and the lock is released. Two processes writing into one file therefore both keep their
 * entries. A batch is checked whole before anything changes; if saving fails, the state is read back from the
 * unchanged file and nothing of the batch remains. Readers never lock.
 *
 * <h2>Transforms</h2>
 * Transforms that learn from data are fitted on the collection at the first non-empty write and persisted;
 * {@link #refit()} refits them on the whole collection (the store keeps the vectors as added).
 *
 * <h2>Threads</h2>
 * Safe for many threads. A search sees a batch wholly or not at all: the in-memory change of a batch is made under
 * a lock that searches share, and takes milliseconds; the file is written while searches run. A search may see a
 * batch whose save then fails (it is rolled back when the write throws).
 */
public final class ExactVectorStore implements VectorStore {

    private static final Logger LOG = LoggerFactory.getLogger(ExactVectorStore.class);

    /** Writes an index to its file; replaced in tests to inject failures. */
    @FunctionalInterface
    interface Saver {
        void save(FeatureIndex index, Path path);
    }

    private final Path file;
    private final Duration lockTimeout;
    private final Saver saver;
    private final ReentrantReadWriteLock stateLock = new ReentrantReadWriteLock();
    // Guarded by stateLock (written under its write lock).
    private FeatureIndex index;
    private StoreSchema schema;
    private FileState lastSeen;
    private boolean closed;

    private ExactVectorStore(Path file, Duration lockTimeout, Saver saver, FeatureIndex index, FileState state) {
        this.file = file;
        this.lockTimeout = lockTimeout;
        this.saver = saver;
        this.index = index;
        this.schema = schemaOf(index);
        this.lastSeen = state;
    }

    /**
     * Opens the exact store a spec names.
     *
     * @param spec an {@code exact:FILE} spec
     * @param options the schema for a new store and the lock timeout; the exact store takes no parameters
     * @return the store
     * @throws CnnkitException if the spec is not of kind exact, a parameter is given, the file is damaged, the store
     *     does not exist and no schema is given, or the given schema's extractor or dimension differs from the
     *     stored one
     */
    public static ExactVectorStore open(StoreSpec spec, StoreOptions options) {
        if (spec.kind() != StoreSpec.Kind.EXACT) {
            throw new CnnkitException("store spec " + spec + " is not an exact store");
        }
        return open(Path.of(spec.location()), options);
    }

    /**
     * Opens (or creates) the exact store saved in a file.
     *
     * @param file the {@code .cfi} file
     * @param options the schema for a new store and the lock timeout; the exact store takes no parameters
     * @return the store
     * @throws CnnkitException as {@link #open(StoreSpec, StoreOptions)}
     */
    public static ExactVectorStore open(Path file, StoreOptions options) {
        return open(file, options, FeatureIndex::save);
    }

    static ExactVectorStore open(Path file, StoreOptions options, Saver saver) {
        Objects.requireNonNull(file, "file");
        options.requireKnownParameters(StoreSpec.Kind.EXACT, Set.of());
        Path path = file.toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            StoreSchema wanted = options.schemaForNewStore().orElseThrow(() -> new StoreNotFoundException(
                    "there is no exact store at " + path + " (index a folder into it first)"));
            try (WriterLock lock = WriterLock.acquire(path, options.lockTimeout())) {
                if (!Files.exists(path)) {
                    FeatureIndex empty = emptyIndex(wanted);
                    saver.save(empty, path);
                    LOG.debug("created the exact store {}", path);
                    return new ExactVectorStore(path, options.lockTimeout(), saver, empty, FileState.of(path));
                }
            }
        }
        FileState state = FileState.of(path);
        FeatureIndex index = FeatureIndex.open(path);
        ExactVectorStore store = new ExactVectorStore(path, options.lockTimeout(), saver, index, state);
        options.schemaForNewStore().ifPresent(wanted -> requireCompatible(path, store.schema, wanted));
        return store;
    }

    /**
     * Returns a store held in memory only, with nothing saved until {@link #saveAs(Path)}.
     *
     * @param schema the store's schema
     * @return the empty store
     */
    public static ExactVectorStore inMemory(StoreSchema schema) {
        return inMemory(emptyIndex(schema));
    }

    /**
     * Returns a store held in memory only over an existing index, which the store then changes; nothing is saved
     * until {@link #saveAs(Path)}.
     *
     * @param index the index
     * @return the store
     */
    public static ExactVectorStore inMemory(FeatureIndex index) {
        return new ExactVectorStore(null, StoreOptions.DEFAULT_LOCK_TIMEOUT, FeatureIndex::save,
                Objects.requireNonNull(index, "index"), null);
    }

    /**
     * Returns the store's file.
     *
     * @return the file, or empty for a store held in memory only
     */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * Writes the whole store to a file atomically, replacing what the file held (under the file's writer lock).
     *
     * @param target the file
     * @throws CnnkitException if it cannot be written (the previous file is then unchanged)
     */
    public void saveAs(Path target) {
        try (WriterLock lock = WriterLock.acquire(target, lockTimeout)) {
            read(() -> index).save(target);
        }
    }

    @Override
    public StoreSchema schema() {
        return read(() -> schema);
    }

    @Override
    public Optional<SearchPipeline> pipeline() {
        return read(() -> index.searchPipeline());
    }

    @Override
    public long size() {
        return read(() -> (long) index.size());
    }

    @Override
    public boolean contains(String id) {
        return read(() -> index.contains(id));
    }

    @Override
    public Optional<String> stamp(String id) {
        return read(() -> index.stamp(id));
    }

    @Override
    public void forEachEntry(BiConsumer<String, String> visitor) {
        Objects.requireNonNull(visitor, "visitor");
        List<String> ids = new ArrayList<>();
        List<String> stamps = new ArrayList<>();
        read(() -> {
            for (String id : index.ids()) {
                ids.add(id);
                stamps.add(index.stamp(id).orElse(null));
            }
            return null;
        });
        for (int i = 0; i < ids.size(); i++) {
            visitor.accept(ids.get(i), stamps.get(i));
        }
    }

    @Override
    public void write(StoreBatch batch) {
        Objects.requireNonNull(batch, "batch");
        StoreChecks.requireValid(read(() -> schema), batch);
        if (batch.isEmpty()) {
            return;
        }
        if (file == null) {
            change(() -> apply(batch));
            return;
        }
        try (WriterLock lock = WriterLock.acquire(file, lockTimeout)) {
            reloadIfChanged();
            change(() -> apply(batch));
            save("the batch of " + batch.puts().size() + " puts and " + batch.removals().size() + " removals");
        }
    }

    @Override
    public List<List<Match>> search(float[][] queries, int k) {
        Objects.requireNonNull(queries, "queries");
        return read(() -> {
            StoreChecks.requireValidQueries(schema, queries, k);
            return index.search(queries, k);
        });
    }

    @Override
    public List<List<Match>> searchInSpace(float[][] vectors, int k) {
        Objects.requireNonNull(vectors, "vectors");
        return read(() -> index.searchInSpace(vectors, k));
    }

    @Override
    public Map<String, float[]> spaceVectors(Collection<String> ids) {
        return read(() -> {
            Map<String, float[]> found = new java.util.LinkedHashMap<>();
            for (String id : ids) {
                index.spaceVector(id).ifPresent(vector -> found.put(id, vector));
            }
            return found;
        });
    }

    @Override
    public List<Match> searchById(String id, int k) {
        Objects.requireNonNull(id, "id");
        StoreChecks.requireK(k);
        return read(() -> {
            float[] vector = index.vector(id).orElseThrow(() -> new CnnkitException(
                    "the store " + ExactVectorStore.this + " holds no entry '" + id + "' to search with"));
            List<Match> matches = new ArrayList<>(k);
            for (Match match : index.search(vector, k + 1)) {
                if (!match.id().equals(id) && matches.size() < k) {
                    matches.add(match);
                }
            }
            return List.copyOf(matches);
        });
    }

    @Override
    public boolean refit() {
        if (read(() -> schema.transforms().stream().noneMatch(VectorTransform::needsFitting))) {
            return false;
        }
        if (file == null) {
            return change(() -> {
                if (index.size() == 0) {
                    return false;
                }
                index.fit();
                return true;
            });
        }
        try (WriterLock lock = WriterLock.acquire(file, lockTimeout)) {
            reloadIfChanged();
            boolean fitted = change(() -> {
                if (index.size() == 0) {
                    return false;
                }
                index.fit();
                return true;
            });
            if (fitted) {
                save("the refitted transforms");
            }
            return fitted;
        }
    }

    @Override
    public void close() {
        stateLock.writeLock().lock();
        try {
            closed = true;
            index = null;
        } finally {
            stateLock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return file == null ? "exact:(in memory)" : "exact:" + file;
    }

    private Void apply(StoreBatch batch) {
        for (String id : batch.removals()) {
            index.remove(id);
        }
        if (!batch.puts().isEmpty()) {
            List<String> ids = new ArrayList<>(batch.puts().size());
            List<String> stamps = new ArrayList<>(batch.puts().size());
            float[][] vectors = new float[batch.puts().size()][];
            for (int i = 0; i < vectors.length; i++) {
                StoreBatch.Entry entry = batch.puts().get(i);
                index.remove(entry.id());
                ids.add(entry.id());
                stamps.add(entry.stamp().orElse(null));
                vectors[i] = entry.vector();
            }
            index.addAll(ids, vectors, stamps);
        }
        if (!index.isFitted() && index.size() > 0) {
            index.fit();
        }
        return null;
    }

    /** Saves the current state; on failure reads the unchanged file back so that nothing of the change remains. */
    private void save(String what) {
        try {
            saver.save(read(() -> index), file);
            FileState state = FileState.of(file);
            change(() -> {
                lastSeen = state;
                return null;
            });
        } catch (RuntimeException e) {
            try {
                change(() -> {
                    index = Files.exists(file) ? FeatureIndex.open(file) : emptyIndex(schema);
                    lastSeen = FileState.of(file);
                    return null;
                });
            } catch (RuntimeException reload) {
                e.addSuppressed(reload);
            }
            throw new CnnkitException("writing " + what + " to the exact store " + file + " failed ("
                    + e.getMessage() + "); nothing of it was kept", e);
        }
    }

    /** Reads the file again if another process replaced it since this store last read or wrote it. */
    private void reloadIfChanged() {
        FileState now = FileState.of(file);
        if (now.equals(read(() -> lastSeen))) {
            return;
        }
        LOG.info("the exact store {} was changed by another writer; reading it again before this write", file);
        FeatureIndex fresh = Files.exists(file) ? FeatureIndex.open(file) : emptyIndex(read(() -> schema));
        change(() -> {
            index = fresh;
            schema = schemaOf(fresh);
            lastSeen = now;
            return null;
        });
    }

    private <T> T read(java.util.function.Supplier<T> action) {
        stateLock.readLock().lock();
        try {
            requireOpen();
            return action.get();
        } finally {
            stateLock.readLock().unlock();
        }
    }

    private <T> T change(java.util.function.Supplier<T> action) {
        stateLock.writeLock().lock();
        try {
            requireOpen();
            return action.get();
        } finally {
            stateLock.writeLock().unlock();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new CnnkitException("the store " + this + " is closed");
        }
    }

    private static FeatureIndex emptyIndex(StoreSchema schema) {
        FeatureIndex.Builder builder = FeatureIndex.builder().setDimension(schema.dimension())
                .optMetric(schema.metric()).optTransforms(schema.transforms());
        schema.identity().ifPresent(builder::optExtractor);
        FeatureIndex index = builder.build();
        schema.properties().forEach(index::setProperty);
        return index;
    }

    private static StoreSchema schemaOf(FeatureIndex index) {
        return new StoreSchema(index.dimension(), index.metric(), index.transforms(), index.identity(),
                index.properties());
    }

    private static void requireCompatible(Path path, StoreSchema stored, StoreSchema wanted) {
        Optional<ExtractorIdentity> have = stored.identity();
        Optional<ExtractorIdentity> want = wanted.identity();
        if (have.isPresent() && want.isPresent() && !have.get().equals(want.get())) {
            throw new CnnkitException("the store " + path + " was built with extractor [" + have.get().describe()
                    + "] but the vectors come from [" + want.get().describe()
                    + "]: use the same extractor, or index into a new store");
        }
        if (stored.dimension() != wanted.dimension()) {
            throw new CnnkitException("the store " + path + " holds " + stored.dimension()
                    + "-d vectors but the vectors to add are " + wanted.dimension() + "-d");
        }
    }

    /**
     * What identifies one version of the file: its file key (a new inode for every atomic replace), size,
     * modification time and the checksum in its trailer.
     */
    private record FileState(Object key, long size, long modified, long checksum) {

        static FileState of(Path path) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                return new FileState(attributes.fileKey(), attributes.size(),
                        attributes.lastModifiedTime().toMillis(), trailerChecksum(path));
            } catch (NoSuchFileException e) {
                return new FileState(null, -1, 0, 0);
            } catch (IOException e) {
                throw new CnnkitException("cannot read the attributes of the exact store " + path + ": "
                        + e.getMessage(), e);
            }
        }

        private static long trailerChecksum(Path path) throws IOException {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < Long.BYTES) {
                    return 0;
                }
                ByteBuffer last = ByteBuffer.allocate(Long.BYTES);
                while (last.hasRemaining() && channel.read(last, size - Long.BYTES + last.position()) >= 0) {
                    // Reads the last eight bytes: the CRC32C of the file's header and body.
                }
                return last.flip().getLong();
            }
        }
    }
}
