package org.cnnkit.core.runtime;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica that runs compiled {@link InferencePlan}s of the graph, one per input shape it has seen: the most recent
 * {@value #PLANS_KEPT} are kept (typically the pieces of a batch, the smaller last piece, and those of the smaller last
 * batch of a pass over a data set). The plans run one at a time, so they share one set of activation buffers.
 */
final class PlanReplica implements InferenceReplica {

    static final int PLANS_KEPT = 4;
    private static final Logger LOG = LoggerFactory.getLogger(PlanReplica.class);

    private final ComputationGraph graph;
    /** One set of activation buffers for all the plans: they run one at a time. */
    private final PlanBuffers buffers;
    private final Map<List<Long>, InferencePlan> plans = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Long>, InferencePlan> eldest) {
            return size() > PLANS_KEPT;
        }
    };

    PlanReplica(ComputationGraph graph) {
        this.graph = graph;
        this.buffers = new PlanBuffers(InferencePlanCompiler.dataType(graph));
    }

    /** Returns how many compiled plans the replica holds now. */
    int cachedPlans() {
        return plans.size();
    }

    @Override
    public INDArray[] output(INDArray slice) {
        List<Long> shape = Arrays.stream(slice.shape()).boxed().toList();
        InferencePlan plan = plans.get(shape);
        if (plan == null) {
            plan = InferencePlanCompiler.compile(graph, slice.shape(), buffers);
            LOG.debug("Compiled an inference plan for input {}: {} steps, {} KiB of activation buffers (shared)", shape,
                    plan.stepCount(), plan.activationBytes() / 1024);
            plans.put(shape, plan);
        }
        return plan.run(slice);
    }
}
