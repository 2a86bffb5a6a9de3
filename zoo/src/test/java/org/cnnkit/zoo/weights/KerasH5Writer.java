package org.cnnkit.zoo.weights;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small HDF5 files in the Keras 2 weights-only layout with jHDF, for tests: root attribute
 * {@code layer_names}, one group per layer with {@code weight_names}, datasets {@code layer/layer/name:0}.
 */
public final class KerasH5Writer {

    private final Map<String, Map<String, Object>> layers = new LinkedHashMap<>();

    /** Adds a layer's weights: short name ({@code kernel}) to a float array of any rank (Keras layout). */
    public KerasH5Writer layer(String name, Map<String, Object> weights) {
        layers.put(name, new LinkedHashMap<>(weights));
        return this;
    }

    /** Writes the file. */
    public void write(Path file) {
        try (WritableHdfFile hdf = HdfFile.write(file)) {
            hdf.putAttribute("layer_names", layers.keySet().toArray(String[]::new));
            hdf.putAttribute("backend", "tensorflow");
            hdf.putAttribute("keras_version", "2.4.0");
            for (Map.Entry<String, Map<String, Object>> layer : layers.entrySet()) {
                WritableGroup group = hdf.putGroup(layer.getKey());
                List<String> names = layer.getValue().keySet().stream()
                        .map(w -> layer.getKey() + "/" + w + ":0").toList();
                group.putAttribute("weight_names", names.toArray(String[]::new));
                WritableGroup inner = group.putGroup(layer.getKey());
                layer.getValue().forEach((w, data) -> inner.putDataset(w + ":0", data));
            }
        }
    }
}
