package org.cnnkit.examples.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM like this one: the same {@code java}, JVM options (agents left out) and class path,
 * running another main class of the benchmark.
 */
final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * Builds the command.
     *
     * @param mainClass the class whose {@code main} the child runs
     * @param args its arguments
     * @return the command, for a {@link ProcessBuilder}
     */
    static List<String> command(Class<?> mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        return command;
    }
}
