package org.cnnkit.examples.cli;

import org.cnnkit.core.CnnkitException;
import org.cnnkit.zoo.InferenceEngine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --engine onnx|dl4j} option of the commands that run a network's inference ({@code predict},
 * {@code evaluate}, {@code index}, {@code search}, {@code evaluate-retrieval}, {@code bench}). Without it, the
 * fastest available engine runs ({@link InferenceEngine#fastest()}: ONNX Runtime, which the CLI jar ships). Commands
 * report the engine that ran under the key {@code engine}.
 */
public final class EngineOption {

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = "Inference engine: onnx (ONNX Runtime) or dl4j (DL4J's compiled plans). Default: the "
                    + "faster available, onnx.")
    private String engine;

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    /** Creates the option; picocli fills it in. */
    public EngineOption() {
    }

    /**
     * Returns the engine the option names, or null when it was not given (the library then picks the fastest).
     *
     * @return the engine or null
     * @throws ParameterException (a usage error) if the name is not an engine's
     * @throws CnnkitException if the engine is not available (naming the artifact to add)
     */
    public InferenceEngine engineOrDefault() {
        if (engine == null) {
            return null;
        }
        InferenceEngine chosen;
        try {
            chosen = InferenceEngine.parse(engine);
        } catch (CnnkitException e) {
            throw new ParameterException(command.commandLine(), "--engine: " + e.getMessage());
        }
        chosen.requireAvailable();
        return chosen;
    }

}
