package org.cnnkit.zoo.weights;

import io.jhdf.HdfFile;
import io.jhdf.Superblock;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Keras 2 HDF5 weights file, read with the pure-Java jHDF library, and loaded by layer name into a DL4J
 * {@link ComputationGraph}.
 *
 * <p>Two layouts are read: the weights-only file of {@code model.save_weights(...)} and of the official
 * keras-applications downloads (root attribute {@code layer_names}; one group per layer with attribute
 * {@code weight_names}; datasets such as {@code Conv1/Conv1/kernel:0}), and the whole-model file of
 * {@code model.save(...)} (the same inside the group {@code model_weights}). Keras 3's {@code .weights.h5} layout is
 * not supported.
 *
 * <p>{@link #loadInto(ComputationGraph)} matches graph layers with file layers by name, converts each Keras layout
 * to DL4J's with a {@link KerasLayerConverter} chosen by layer type, and checks every name and shape before it
 * changes any parameter: on the first mismatch (in graph order) it throws a {@link CnnkitException} that names the
 * file, the layer, the weight and the expected and found shapes. Files that are not HDF5, are truncated, or hold
 * another model's layers are refused the same way.
 *
 * <p>The file stays open until {@link #close()}; arrays are read only when loaded, one at a time, so that large
 * files (VGG16: 528 MB) are never held in memory whole. Not thread-safe.
 *
 * <pre>{@code
 * ComputationGraph graph = MobileNetV2.builder().optAlpha(0.35).setInputShape(InputShape.rgb(224)).build().newGraph();
 * try (KerasWeights weights = KerasWeights.open(Path.of("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"))) {
 *     weights.loadInto(graph);
 * }
 * }</pre>
 */
public final class KerasWeights implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KerasWeights.class);
    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    private final Path file;
    private final HdfFile hdf;
    private final Group root;
    private final Map<String, List<String>> weightNamesByLayer;
    private final List<KerasLayerConverter> converters;

    private KerasWeights(Path file, HdfFile hdf, Group root, Map<String, List<String>> weightNamesByLayer,
            List<KerasLayerConverter> converters) {
        this.file = file;
        this.hdf = hdf;
        this.root = root;
        this.weightNamesByLayer = weightNamesByLayer;
        this.converters = converters;
    }

    /**
     * Opens a Keras HDF5 weights file with the built-in converters ({@link KerasLayerConverter#defaults()}).
     *
     * @param file the {@code .h5} file, weights-only or whole model
     * @return the open file; close it after loading
     * @throws CnnkitException if the file is missing, not HDF5, truncated, or has no Keras {@code layer_names}
     */
    public static KerasWeights open(Path file) {
        return open(file, List.of());
    }

    /**
     * Opens a Keras HDF5 weights file with extra converters, tried before the built-in ones.
     *
     * @param file the {@code .h5} file, weights-only or whole model
     * @param extraConverters converters for further layer types (or replacing a built-in one for a layer type)
     * @return the open file; close it after loading
     * @throws CnnkitException if the file is missing, not HDF5, truncated, or has no Keras {@code layer_names}
     */
    public static KerasWeights open(Path file, List<KerasLayerConverter> extraConverters) {
        Objects.requireNonNull(file, "file");
        List<KerasLayerConverter> converters = new ArrayList<>(extraConverters);
        converters.addAll(KerasLayerConverter.defaults());
        checkHdf5(file);
        HdfFile hdf;
        try {
            hdf = openMapped(file);
        } catch (IOException e) {
            throw new CnnkitException("cannot read Keras weights file " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CnnkitException("cannot read Keras weights file " + file
                    + ": damaged or not a valid HDF5 file (" + e.getMessage() + ")", e);
        }
        try {
            Group root = hdf;
            if (hdf.getAttribute("layer_names") == null && hdf.getChild("model_weights") instanceof Group group) {
                root = group;
            }
            Attribute layerNames = root.getAttribute("layer_names");
            if (layerNames == null) {
                throw new CnnkitException("not a Keras 2 weights file: " + file
                        + " has no attribute 'layer_names' at its root or in 'model_weights'");
            }
            Map<String, List<String>> weights = new LinkedHashMap<>();
            for (String layer : strings(layerNames, file, "layer_names")) {
                Node node = root.getChild(layer);
                if (!(node instanceof Group layerGroup)) {
                    throw new CnnkitException("damaged Keras weights file " + file + ": layer '" + layer
                            + "' is listed in 'layer_names' but has no group");
                }
                Attribute names = layerGroup.getAttribute("weight_names");
                List<String> weightNames = names == null ? List.of() : strings(names, file, layer + "/weight_names");
                weights.put(layer, List.copyOf(weightNames));
            }
            LOG.debug("opened Keras weights {} ({} layers)", file, weights.size());
            return new KerasWeights(file, hdf, root, Collections.unmodifiableMap(weights), List.copyOf(converters));
        } catch (CnnkitException e) {
            hdf.close();
            throw e;
        } catch (RuntimeException e) {
            hdf.close();
            throw new CnnkitException("cannot read Keras weights file " + file
                    + ": damaged or truncated HDF5 file (" + e.getMessage() + ")", e);
        }
    }

    /** {@return the file} */
    public Path file() {
        return file;
    }

    /**
     * Returns the names of the file's layers that have weights, in file order.
     *
     * @return the layer names
     */
    public List<String> layerNames() {
        List<String> names = new ArrayList<>();
        weightNamesByLayer.forEach((layer, weights) -> {
            if (!weights.isEmpty()) {
                names.add(layer);
            }
        });
        return Collections.unmodifiableList(names);
    }

    /**
     * Returns the weights of one layer as the file lists them: short names (such as {@code kernel}) and Keras
     * shapes.
     *
     * @param layer the Keras layer name
     * @return the layer's weights in file order, empty for a layer without weights
     * @throws CnnkitException if the file has no such layer or the datasets cannot be read
     */
    public List<KerasWeightSpec> weightsOf(String layer) {
        List<String> names = weightNamesByLayer.get(layer);
        if (names == null) {
            throw new CnnkitException("Keras weights file " + file + " has no layer '" + layer + "'");
        }
        List<KerasWeightSpec> specs = new ArrayList<>();
        for (String name : names) {
            specs.add(new KerasWeightSpec(shortName(name), toLong(dataset(layer, name).getDimensions())));
        }
        return specs;
    }

    /**
     * Reads one weight in Keras' layout, as float.
     *
     * @param layer the Keras layer name
     * @param shortName the short weight name, such as {@code kernel} or {@code moving_mean}
     * @return a new array with the Keras shape
     * @throws CnnkitException if the layer or weight is absent or cannot be read
     */
    public INDArray read(String layer, String shortName) {
        List<String> names = weightNamesByLayer.get(layer);
        if (names == null) {
            throw new CnnkitException("Keras weights file " + file + " has no layer '" + layer + "'");
        }
        for (String name : names) {
            if (shortName(name).equals(shortName)) {
                return readDataset(layer, name);
            }
        }
        throw new CnnkitException("Keras weights file " + file + ": layer '" + layer + "' has no weight '"
                + shortName + "', only " + names);
    }

    /**
     * Loads weights into every layer of the graph that has parameters, matched by name. Every such layer must be
     * in the file with weights of the expected names and shapes, and every layer of the file with weights must be
     * in the graph. Nothing changes unless all checks pass.
     *
     * @param graph the network, initialised
     * @throws CnnkitException naming the file, layer and shapes of the first mismatch, or if the file is damaged
     */
    public void loadInto(ComputationGraph graph) {
        List<String> layers = new ArrayList<>();
        for (Layer layer : graph.getLayers()) {
            if (layer.numParams() > 0) {
                layers.add(layer.conf().getLayer().getLayerName());
            }
        }
        List<Prepared> prepared = check(graph, layers);
        Set<String> extra = new LinkedHashSet<>(layerNames());
        extra.removeAll(layers);
        if (!extra.isEmpty()) {
            throw new CnnkitException("Keras weights file " + file + " has weights for layer '"
                    + extra.iterator().next() + "' that the network does not have (" + extra.size()
                    + " such layers in all): the file is for another network or configuration");
        }
        apply(prepared);
    }

    /**
     * Loads weights into the named layers of the graph only, for example the base of a larger network. Each named
     * layer must be in the graph and in the file with weights of the expected names and shapes; other layers of the
     * file are ignored. Nothing changes unless all checks pass.
     *
     * @param graph the network, initialised
     * @param layers the names of the layers to load
     * @throws CnnkitException naming the file, layer and shapes of the first mismatch, or if the file is damaged
     */
    public void loadInto(ComputationGraph graph, Collection<String> layers) {
        apply(check(graph, new ArrayList<>(layers)));
    }

    /** Closes the file. */
    @Override
    public void close() {
        hdf.close();
    }

    private List<Prepared> check(ComputationGraph graph, List<String> layers) {
        List<Prepared> prepared = new ArrayList<>();
        for (String name : layers) {
            Layer layer = graph.getLayer(name);
            if (layer == null) {
                throw new CnnkitException("the network has no layer '" + name + "' to load from " + file);
            }
            TargetLayer target = target(graph, name, layer);
            KerasLayerConverter converter = converters.stream().filter(c -> c.supports(target)).findFirst()
                    .orElseThrow(() -> new CnnkitException("cannot load layer '" + name + "' from " + file
                            + ": no Keras weight converter for DL4J layer type "
                            + target.config().getClass().getSimpleName()));
            List<String> fileWeights = weightNamesByLayer.get(name);
            if (fileWeights == null || fileWeights.isEmpty()) {
                throw new CnnkitException("Keras weights file " + file + " has no weights for layer '" + name
                        + "'" + (weightNamesByLayer.isEmpty() ? "" : " (its first layers: "
                        + String.join(", ", layerNames().subList(0, Math.min(5, layerNames().size()))) + ")")
                        + ": the file is for another network");
            }
            Map<String, String> fullNameByShort = new LinkedHashMap<>();
            for (String full : fileWeights) {
                fullNameByShort.put(shortName(full), full);
            }
            List<KerasWeightSpec> expected = converter.expectedWeights(target);
            for (KerasWeightSpec spec : expected) {
                String full = fullNameByShort.get(spec.name());
                if (full == null) {
                    throw new CnnkitException("Keras weights file " + file + ", layer '" + name
                            + "': weight '" + spec.name() + "' expected, the file has " + fullNameByShort.keySet());
                }
                long[] found = toLong(dataset(name, full).getDimensions());
                if (!spec.hasShape(found)) {
                    throw new CnnkitException("Keras weights file " + file + ", layer '" + name + "', weight '"
                            + spec.name() + "': the network expects shape " + Arrays.toString(spec.shape())
                            + ", the file has " + Arrays.toString(found)
                            + " (weights of another model size, alpha or configuration?)");
                }
            }
            if (fullNameByShort.size() != expected.size()) {
                Set<String> unexpected = new LinkedHashSet<>(fullNameByShort.keySet());
                expected.forEach(spec -> unexpected.remove(spec.name()));
                throw new CnnkitException("Keras weights file " + file + ", layer '" + name
                        + "': the file has weights " + unexpected + " that the network layer does not take ("
                        + target.config().getClass().getSimpleName() + " expects " + expected + ")");
            }
            prepared.add(new Prepared(target, converter, layer, fullNameByShort));
        }
        return prepared;
    }

    private void apply(List<Prepared> prepared) {
        for (Prepared p : prepared) {
            Map<String, INDArray> keras = new LinkedHashMap<>();
            p.fullNameByShort().forEach((shortName, full) -> keras.put(shortName, readDataset(p.target().name(), full)));
            Map<String, INDArray> params = p.converter().convert(p.target(), keras);
            for (Map.Entry<String, INDArray> e : params.entrySet()) {
                INDArray param = p.layer().getParam(e.getKey());
                if (param == null || !Arrays.equals(param.shape(), e.getValue().shape())) {
                    throw new IllegalStateException("converter " + p.converter().getClass().getName()
                            + " produced parameter '" + e.getKey() + "' " + Arrays.toString(e.getValue().shape())
                            + " for layer " + p.target());
                }
                param.assign(e.getValue().castTo(param.dataType()));
            }
        }
        LOG.info("loaded Keras weights of {} layers from {}", prepared.size(), file);
    }

    private static TargetLayer target(ComputationGraph graph, String name, Layer layer) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        layer.paramTable().forEach((key, value) -> shapes.put(key, value.shape()));
        GraphVertex vertex = graph.getConfiguration().getVertices().get(name);
        InputPreProcessor preProcessor = vertex instanceof LayerVertex lv ? lv.getPreProcessor() : null;
        List<String> inputs = graph.getConfiguration().getVertexInputs().get(name);
        if (preProcessor == null && inputs != null && inputs.size() == 1
                && graph.getConfiguration().getVertices().get(inputs.get(0)) instanceof PreprocessorVertex flatten) {
            preProcessor = flatten.getPreProcessor(); // an explicit Flatten vertex in front of the layer
        }
        return new TargetLayer(name, layer.conf().getLayer(), shapes, preProcessor);
    }

    private Dataset dataset(String layer, String weightName) {
        try {
            Node node = root.getByPath(layer + "/" + weightName);
            if (node instanceof Dataset dataset) {
                return dataset;
            }
        } catch (RuntimeException e) {
            throw new CnnkitException("Keras weights file " + file + ", layer '" + layer + "': cannot find weight '"
                    + weightName + "' (damaged file? " + e.getMessage() + ")", e);
        }
        throw new CnnkitException("Keras weights file " + file + ", layer '" + layer + "': weight '"
                + weightName + "' is listed but is not a dataset");
    }

    private INDArray readDataset(String layer, String weightName) {
        Dataset dataset = dataset(layer, weightName);
        long[] shape = toLong(dataset.getDimensions());
        Object data;
        try {
            data = dataset.getDataFlat();
        } catch (RuntimeException e) {
            throw new CnnkitException("Keras weights file " + file + ", layer '" + layer + "': cannot read weight '"
                    + weightName + "': the file is damaged or truncated (" + e.getMessage() + ")", e);
        }
        if (data instanceof float[] floats) {
            return Nd4j.create(floats, shape, 'c');
        }
        if (data instanceof double[] doubles) {
            return Nd4j.create(doubles, shape, 'c').castTo(DataType.FLOAT);
        }
        throw new CnnkitException("Keras weights file " + file + ", layer '" + layer + "': weight '" + weightName
                + "' has unsupported data type " + dataset.getJavaType().getSimpleName() + " (float or double expected)");
    }

    /**
     * The short name of a Keras weight: {@code "block_1_expand/kernel:0"} to {@code "kernel"}. Names in the style of
     * Keras 1 ({@code "fc1_W_1:0"}, {@code "fc1_b_1:0"}) become {@code kernel} and {@code bias}.
     */
    static String shortName(String weightName) {
        String name = weightName.substring(weightName.lastIndexOf('/') + 1);
        int colon = name.lastIndexOf(':');
        name = colon >= 0 ? name.substring(0, colon) : name;
        String legacy = name.replaceFirst("_\\d+$", "");
        if (legacy.endsWith("_W")) {
            return "kernel";
        }
        if (legacy.endsWith("_b")) {
            return "bias";
        }
        return name;
    }

    private static List<String> strings(Attribute attribute, Path file, String what) {
        Object data = attribute.getData();
        if (data instanceof String[] array) {
            return Arrays.asList(array);
        }
        if (data instanceof String single) {
            return List.of(single);
        }
        if (attribute.isEmpty() || (data != null && data.getClass().isArray()
                && Array.getLength(data) == 0)) {
            return List.of(); // h5py writes an empty list as an empty float array
        }
        throw new CnnkitException("not a Keras 2 weights file: " + file + ", attribute '" + what
                + "' is not a list of strings");
    }

    private static long[] toLong(int[] dims) {
        return Arrays.stream(dims).asLongStream().toArray();
    }

    /**
     * Opens the file through a read-only memory map rather than jHDF's file channel: jHDF allocates a heap buffer
     * of whatever size a header claims before reading it from a channel, so a damaged header of a few bytes could
     * ask for gigabytes (found by fuzzing); from a map it takes a slice, and a claim beyond the end of the file fails
     * as out of range. Files over 2 GB, which one map cannot hold, are read through the channel.
     */
    private static HdfFile openMapped(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                return new HdfFile(file);
            }
            return HdfFile.fromByteBuffer(channel.map(FileChannel.MapMode.READ_ONLY, 0, size));
        }
    }

    /**
     * Checks that the file exists, starts with the HDF5 signature (at offset 0 or a power-of-two user block
     * offset) and is at least as long as its superblock says.
     */
    private static void checkHdf5(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CnnkitException("Keras weights file not found: " + file);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            for (long offset = 0; offset + HDF5_SIGNATURE.length <= size; offset = offset == 0 ? 512 : offset * 2) {
                ByteBuffer head = ByteBuffer.allocate(HDF5_SIGNATURE.length);
                channel.read(head, offset);
                if (Arrays.equals(head.array(), HDF5_SIGNATURE)) {
                    long end;
                    try {
                        Superblock superblock = Superblock.readSuperblock(channel, offset);
                        end = superblock.getBaseAddressByte() + superblock.getEndOfFileAddress();
                    } catch (RuntimeException e) {
                        throw new CnnkitException("damaged HDF5 file " + file + ": unreadable superblock ("
                                + e.getMessage() + ")", e);
                    }
                    if (size < end) {
                        throw new CnnkitException("truncated HDF5 file " + file + ": it has " + size
                                + " bytes, its header says " + end + "; download or copy it again");
                    }
                    return;
                }
            }
        } catch (IOException e) {
            throw new CnnkitException("cannot read Keras weights file " + file + ": " + e.getMessage(), e);
        }
        throw new CnnkitException("not an HDF5 file: " + file + " (Keras weights are .h5 files in HDF5 format)");
    }

    private record Prepared(TargetLayer target, KerasLayerConverter converter, Layer layer,
            Map<String, String> fullNameByShort) {
    }
}
