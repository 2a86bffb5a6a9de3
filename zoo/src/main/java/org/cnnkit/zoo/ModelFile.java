package org.cnnkit.zoo;

import org.cnnkit.core.io.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeRuntime;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * The cnnkit model file: one zip archive holding
 * <ol>
 *   <li>{@code manifest.properties}: magic {@code cnnkit-model}, format version, class names, input shape,
 *       preprocessing, provenance, and the SHA-256 of the network entry;</li>
 *   <li>{@code network.zip}: the DL4J network as written by {@link ModelSerializer} (any ComputationGraph).</li>
 * </ol>
 * Written atomically; read with every check that lets a damaged or foreign file be refused with a clear message.
 */
final class ModelFile {

    static final String MAGIC = "cnnkit-model";
    static final int FORMAT_VERSION = 1;
    static final String MANIFEST_ENTRY = "manifest.properties";
    static final String NETWORK_ENTRY = "network.zip";

    private ModelFile() {
    }

    static void write(ImageClassifier classifier, Path file, boolean withUpdaterState) {
        write(classifier, file, withUpdaterState, UnaryOperator.identity());
    }

    /** As {@link #write(ImageClassifier, Path, boolean)}, with the byte stream wrapped (lets tests inject failures). */
    static void write(ImageClassifier classifier, Path file, boolean withUpdaterState,
                      UnaryOperator<OutputStream> streamWrapper) {
        Path target = file.toAbsolutePath();
        Path folder = target.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new CnnkitException("cannot save model to " + file + ": folder " + folder + " does not exist");
        }
        byte[] network = serializeNetwork(classifier.network(), withUpdaterState, file);
        byte[] manifest = manifest(classifier, network, withUpdaterState);
        try {
            AtomicFiles.write(target, out -> {
                ZipOutputStream zip = new ZipOutputStream(streamWrapper.apply(out));
                zip.putNextEntry(new ZipEntry(MANIFEST_ENTRY));
                zip.write(manifest);
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry(NETWORK_ENTRY));
                zip.write(network);
                zip.closeEntry();
                zip.finish();
            });
        } catch (IOException e) {
            throw new CnnkitException("cannot save model to " + file + " (" + e
                    + "); the previous file, if any, is unchanged", e);
        }
    }

    private static byte[] serializeNetwork(ComputationGraph network, boolean withUpdaterState, Path file) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(network, bytes, withUpdaterState);
        } catch (IOException e) {
            throw new CnnkitException("cannot serialize the network for " + file + ": " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    private static byte[] manifest(ImageClassifier classifier, byte[] network, boolean withUpdaterState) {
        Properties p = new Properties();
        p.setProperty("magic", MAGIC);
        p.setProperty("format.version", Integer.toString(FORMAT_VERSION));
        List<String> classes = classifier.classNames();
        p.setProperty("classes.count", Integer.toString(classes.size()));
        for (int i = 0; i < classes.size(); i++) {
            p.setProperty("classes." + i, classes.get(i));
        }
        InputShape shape = classifier.inputShape();
        p.setProperty("input.height", Integer.toString(shape.height()));
        p.setProperty("input.width", Integer.toString(shape.width()));
        p.setProperty("input.channels", Integer.toString(shape.channels()));
        p.setProperty("preprocessing", classifier.preprocessing().name());
        ModelProvenance provenance = classifier.provenance();
        p.setProperty("provenance.model", provenance.model());
        p.setProperty("provenance.seed", Long.toString(provenance.seed()));
        p.setProperty("provenance.dataset", provenance.dataset());
        p.setProperty("provenance.created", provenance.created().toString());
        provenance.settings().forEach((k, v) -> p.setProperty("provenance.setting." + k, v));
        provenance.versions().forEach((k, v) -> p.setProperty("provenance.version." + k, v));
        p.setProperty("network.entry", NETWORK_ENTRY);
        p.setProperty("network.sha256", sha256(network));
        p.setProperty("network.updater", Boolean.toString(withUpdaterState));
        StringWriter text = new StringWriter();
        try {
            p.store(text, "cnnkit model manifest");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    static ImageClassifier read(Path file) {
        if (Files.isDirectory(file)) {
            throw new CnnkitException("cannot load model " + file + ": it is a folder, not a model file");
        }
        if (!Files.exists(file)) {
            throw new CnnkitException("cannot load model " + file + ": file not found");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry manifestEntry = zip.getEntry(MANIFEST_ENTRY);
            if (manifestEntry == null) {
                throw new CnnkitException("cannot load model " + file + ": it has no " + MANIFEST_ENTRY
                        + ", so it is not a cnnkit model file");
            }
            Properties manifest = new Properties();
            manifest.load(new StringReader(new String(readAll(zip, manifestEntry), StandardCharsets.UTF_8)));
            checkHeader(manifest, file);
            byte[] network = readNetwork(zip, manifest, file);
            return classifier(manifest, network, file);
        } catch (NoSuchFileException e) {
            throw new CnnkitException("cannot load model " + file + ": file not found", e);
        } catch (ZipException e) {
            throw new CnnkitException("cannot load model " + file
                    + ": not a cnnkit model file (not a readable zip archive: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CnnkitException("cannot load model " + file + ": " + e.getMessage(), e);
        }
    }

    private static void checkHeader(Properties manifest, Path file) {
        if (!MAGIC.equals(manifest.getProperty("magic"))) {
            throw new CnnkitException("cannot load model " + file + ": its manifest does not start with magic '"
                    + MAGIC + "', so it is not a cnnkit model file");
        }
        int version = intValue(manifest, "format.version", file);
        if (version > FORMAT_VERSION) {
            throw new CnnkitException("cannot load model " + file + ": its format version " + version
                    + " is newer than the version " + FORMAT_VERSION + " this cnnkit reads; use a newer cnnkit");
        }
        if (version < 1) {
            throw new CnnkitException("cannot load model " + file + ": invalid format version " + version);
        }
    }

    private static byte[] readNetwork(ZipFile zip, Properties manifest, Path file) throws IOException {
        String name = manifest.getProperty("network.entry", NETWORK_ENTRY);
        ZipEntry entry = zip.getEntry(name);
        if (entry == null) {
            throw new CnnkitException("cannot load model " + file + ": the network entry '" + name + "' is missing");
        }
        byte[] network;
        try {
            network = readAll(zip, entry);
        } catch (ZipException | java.io.EOFException e) {
            throw new CnnkitException("cannot load model " + file + ": the network entry '" + name
                    + "' is damaged (" + e.getMessage() + ")", e);
        }
        String expected = manifest.getProperty("network.sha256");
        if (expected == null || !expected.equalsIgnoreCase(sha256(network))) {
            throw new CnnkitException("cannot load model " + file + ": the network entry '" + name
                    + "' is damaged (its SHA-256 does not match the manifest)");
        }
        return network;
    }

    private static ImageClassifier classifier(Properties manifest, byte[] networkBytes, Path file) {
        int count = intValue(manifest, "classes.count", file);
        List<String> classes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            classes.add(required(manifest, "classes." + i, file));
        }
        InputShape shape;
        Preprocessing preprocessing;
        ModelProvenance provenance;
        try {
            shape = new InputShape(intValue(manifest, "input.height", file), intValue(manifest, "input.width", file),
                    intValue(manifest, "input.channels", file));
            preprocessing = Preprocessing.valueOf(required(manifest, "preprocessing", file));
            provenance = new ModelProvenance(
                    required(manifest, "provenance.model", file),
                    Long.parseLong(required(manifest, "provenance.seed", file)),
                    prefixed(manifest, "provenance.setting."),
                    manifest.getProperty("provenance.dataset", ""),
                    prefixed(manifest, "provenance.version."),
                    Instant.parse(required(manifest, "provenance.created", file)));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new CnnkitException("cannot load model " + file + ": invalid manifest value: " + e.getMessage(), e);
        }
        ComputationGraph network;
        boolean updater = Boolean.parseBoolean(manifest.getProperty("network.updater", "false"));
        try (InputStream in = new ByteArrayInputStream(networkBytes)) {
            NativeRuntime.ensureConfigured();
            network = NativeRuntime.accelerate(ModelSerializer.restoreComputationGraph(in, updater));
        } catch (IOException | RuntimeException e) {
            throw new CnnkitException("cannot load model " + file + ": the network entry is damaged ("
                    + e.getMessage() + ")", e);
        }
        try {
            return ImageClassifier.builder()
                    .setNetwork(network)
                    .setClassNames(classes)
                    .setInputShape(shape)
                    .setPreprocessing(preprocessing)
                    .optProvenance(provenance)
                    .build();
        } catch (IllegalArgumentException | CnnkitException e) {
            throw new CnnkitException("cannot load model " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readAll(ZipFile zip, ZipEntry entry) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    private static Map<String, String> prefixed(Properties manifest, String prefix) {
        Map<String, String> values = new TreeMap<>();
        for (String key : manifest.stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                values.put(key.substring(prefix.length()), manifest.getProperty(key));
            }
        }
        return values;
    }

    private static String required(Properties manifest, String key, Path file) {
        String value = manifest.getProperty(key);
        if (value == null) {
            throw new CnnkitException("cannot load model " + file + ": its manifest lacks '" + key + "'");
        }
        return value;
    }

    private static int intValue(Properties manifest, String key, Path file) {
        String value = required(manifest, key, file);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new CnnkitException("cannot load model " + file + ": manifest key '" + key
                    + "' is not a number: " + value, e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
