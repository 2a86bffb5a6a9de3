package org.cnnkit.zoo;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Cuts a graph in two at one vertex: the prefix (that vertex and everything it depends on, frozen wrappers removed,
 * for inference) and the tail (everything else, taking the cut vertex's output as its input, named like the cut
 * vertex). Each part is a new graph with copies of the original's parameters; {@link #copyParameters} moves them
 * between graphs by layer name.
 */
final class GraphCut {

    private GraphCut() {
    }

    /**
     * Tells why a graph cannot be cut at a vertex, if it cannot: it must have one input and one output, and nothing
     * after the cut may read a vertex before it (or the input) other than the cut vertex.
     *
     * @param graph an initialized graph
     * @param cut the vertex to cut after
     * @return empty when the cut is possible, else why not
     */
    static Optional<String> unsupportedReason(ComputationGraph graph, String cut) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            return Optional.of("the graph has " + conf.getNetworkInputs().size() + " inputs and "
                    + conf.getNetworkOutputs().size() + " outputs");
        }
        if (!conf.getVertices().containsKey(cut)) {
            return Optional.of("the graph has no vertex '" + cut + "'");
        }
        Set<String> prefix = prefixOf(conf, cut);
        for (Map.Entry<String, List<String>> entry : conf.getVertexInputs().entrySet()) {
            if (prefix.contains(entry.getKey())) {
                continue;
            }
            for (String input : entry.getValue()) {
                if (!input.equals(cut) && (prefix.contains(input) || conf.getNetworkInputs().contains(input))) {
                    return Optional.of("vertex '" + entry.getKey() + "' after the cut reads '" + input
                            + "' from before it");
                }
            }
        }
        if (prefix.contains(conf.getNetworkOutputs().get(0))) {
            return Optional.of("the graph's output is not after the cut");
        }
        return Optional.empty();
    }

    /** The prefix for inference: the graph's input to the cut vertex, unfrozen, with copies of the parameters. */
    static ComputationGraph prefix(ComputationGraph graph, String cut) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        Set<String> prefix = prefixOf(conf, cut);
        ComputationGraphConfiguration.GraphBuilder builder = builder(graph)
                .addInputs(conf.getNetworkInputs());
        for (String name : conf.getTopologicalOrderStr()) {
            if (prefix.contains(name)) {
                add(builder, name, unfrozen(conf.getVertices().get(name)), conf.getVertexInputs().get(name));
            }
        }
        return build(builder.setOutputs(cut), graph);
    }

    /** The tail: every vertex after the cut, reading the cut vertex's output as its input, named {@code cut}. */
    static ComputationGraph tail(ComputationGraph graph, String cut) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        Set<String> prefix = prefixOf(conf, cut);
        ComputationGraphConfiguration.GraphBuilder builder = builder(graph).addInputs(cut);
        for (String name : conf.getTopologicalOrderStr()) {
            if (!prefix.contains(name) && !conf.getNetworkInputs().contains(name)) {
                add(builder, name, conf.getVertices().get(name).clone(), conf.getVertexInputs().get(name));
            }
        }
        return build(builder.setOutputs(conf.getNetworkOutputs().toArray(new String[0])), graph);
    }

    /**
     * Assigns each layer of {@code to} that has parameters the parameters of the layer of {@code from} with the same
     * name, when there is one.
     *
     * @return how many layers were assigned
     * @throws CnnkitException if a layer of the same name has another number of parameters
     */
    static int copyParameters(ComputationGraph from, ComputationGraph to) {
        int copied = 0;
        for (Layer layer : to.getLayers()) {
            if (layer.numParams() == 0) {
                continue;
            }
            String name = layer.conf().getLayer().getLayerName();
            if (from.getConfiguration().getVertices().containsKey(name) && from.getLayer(name) != null) {
                INDArray source = from.getLayer(name).params();
                if (source.length() != layer.params().length()) {
                    throw new CnnkitException("layer '" + name + "' has " + source.length()
                            + " parameters where the network being filled has " + layer.params().length());
                }
                layer.params().assign(source.reshape(layer.params().shape()));
                copied++;
            }
        }
        return copied;
    }

    private static ComputationGraphConfiguration.GraphBuilder builder(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        NeuralNetConfiguration.Builder global = new NeuralNetConfiguration.Builder()
                .dataType(graph.params() == null ? DataType.FLOAT : graph.params().dataType());
        if (conf.getTrainingWorkspaceMode() != null) {
            global.trainingWorkspaceMode(conf.getTrainingWorkspaceMode());
        }
        if (conf.getInferenceWorkspaceMode() != null) {
            global.inferenceWorkspaceMode(conf.getInferenceWorkspaceMode());
        }
        if (conf.getCacheMode() != null) {
            global.cacheMode(conf.getCacheMode());
        }
        return global.graphBuilder();
    }

    private static void add(ComputationGraphConfiguration.GraphBuilder builder, String name, GraphVertex vertex,
            List<String> inputs) {
        String[] from = inputs.toArray(new String[0]);
        if (vertex instanceof LayerVertex layerVertex) {
            InputPreProcessor preProcessor = layerVertex.getPreProcessor() == null
                    ? null : layerVertex.getPreProcessor().clone();
            builder.addLayer(name, layerVertex.getLayerConf().getLayer().clone(), preProcessor, from);
        } else {
            builder.addVertex(name, vertex, from);
        }
    }

    private static ComputationGraph build(ComputationGraphConfiguration.GraphBuilder builder,
            ComputationGraph original) {
        ComputationGraph part = new ComputationGraph(builder.build());
        part.init();
        copyParameters(original, part);
        return part;
    }

    /** The cut vertex and every vertex it depends on, network inputs excluded. */
    private static Set<String> prefixOf(ComputationGraphConfiguration conf, String cut) {
        Set<String> prefix = new HashSet<>();
        List<String> pending = new ArrayList<>(List.of(cut));
        while (!pending.isEmpty()) {
            String name = pending.remove(pending.size() - 1);
            if (conf.getNetworkInputs().contains(name) || !prefix.add(name)) {
                continue;
            }
            pending.addAll(conf.getVertexInputs().getOrDefault(name, List.of()));
        }
        return prefix;
    }

    private static GraphVertex unfrozen(GraphVertex vertex) {
        GraphVertex inner = vertex.clone();
        while (inner instanceof FrozenVertex frozen) {
            inner = frozen.getUnderlying().clone();
        }
        if (inner instanceof LayerVertex layerVertex) {
            org.deeplearning4j.nn.conf.layers.Layer layer = layerVertex.getLayerConf().getLayer();
            while (layer instanceof FrozenLayer frozen) {
                layer = frozen.getLayer();
            }
            NeuralNetConfiguration layerConf = layerVertex.getLayerConf().clone();
            layerConf.setLayer(layer.clone());
            return new LayerVertex(layerConf, layerVertex.getPreProcessor());
        }
        return inner;
    }
}
