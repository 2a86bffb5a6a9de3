package org.cnnkit.core.runtime;

import java.lang.reflect.Field;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a network size its per-layer workspaces after a few cycles instead of DL4J's several passes.
 *
 * <p>DL4J 1.0.0-M2.1 gives each network two workspace settings of its own, for the layers' working memory and for
 * their activations, that learn the size they need over {@code 2 x vertices} and {@code vertices} workspace cycles
 * before allocating anything; until then every array is allocated and freed outside the workspaces. A workspace
 * cycles about once per layer, and the activation workspaces take turns, so a network runs several whole passes
 * (training steps or inference batches) on the slow path first. With the same settings but
 * {@value #LEARNING_CYCLES} learning cycles, the second and third MobileNetV2 inference batches took 0.7 of the time
 * (docs/performance.md). Sizes learned early grow later as DL4J's own settings allow: a workspace that overflows is
 * reallocated larger at its next cycle ({@link SpillPolicy#REALLOCATE}).
 *
 * <p>The two settings are instance fields that DL4J does not expose; they are replaced by reflection. If they are
 * not found (another DL4J version), the network keeps DL4J's settings and a DEBUG line says so.
 */
final class WorkspaceLearning {

    /** Workspace cycles observed before a workspace is allocated. */
    static final int LEARNING_CYCLES = 10;

    private static final Logger LOG = LoggerFactory.getLogger(WorkspaceLearning.class);
    private static final String[] FIELDS = {"WS_LAYER_WORKING_MEM_CONFIG", "WS_LAYER_ACT_X_CONFIG"};

    private WorkspaceLearning() {
    }

    /** The settings DL4J uses for these workspaces, except for the number of learning cycles. */
    static WorkspaceConfiguration configuration() {
        return WorkspaceConfiguration.builder()
                .initialSize(0)
                .overallocationLimit(0.02)
                .policyLearning(LearningPolicy.OVER_TIME)
                .cyclesBeforeInitialization(LEARNING_CYCLES)
                .policyReset(ResetPolicy.BLOCK_LEFT)
                .policySpill(SpillPolicy.REALLOCATE)
                .policyAllocation(AllocationPolicy.OVERALLOCATE)
                .build();
    }

    /** Shortens the learning of {@code graph}'s workspaces; returns false if DL4J's fields were not found. */
    static boolean shorten(ComputationGraph graph) {
        return replace(ComputationGraph.class, graph);
    }

    /** Shortens the learning of {@code network}'s workspaces; returns false if DL4J's fields were not found. */
    static boolean shorten(MultiLayerNetwork network) {
        return replace(MultiLayerNetwork.class, network);
    }

    private static boolean replace(Class<?> type, Object network) {
        try {
            for (String name : FIELDS) {
                Field field = type.getDeclaredField(name);
                if (field.getType() != WorkspaceConfiguration.class) {
                    throw new NoSuchFieldException(name + " has type " + field.getType());
                }
                field.setAccessible(true);
                field.set(network, configuration());
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("DL4J's workspace settings left as they are: {}", e.toString());
            return false;
        }
    }
}
