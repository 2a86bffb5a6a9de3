package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSpec;
import picocli.CommandLine.Option;

/**
 * The store options of {@code index}, {@code search} and {@code evaluate-retrieval}: {@code --store SPEC} (for
 * example {@code exact:photos.cfi}, {@code lucene:photos-index/}, {@code postgres:jdbc:postgresql://host/db}) and
 * {@code --store-option KEY=VALUE} (repeatable), passed to the store as its parameters. A command's older file option
 * ({@code --out FILE}, {@code --index FILE}) stays as the short form of {@code exact:FILE}. Passwords never go on the
 * command line: the PostgreSQL store reads them from the environment or a file.
 */
public final class StoreSelection {

    @Option(names = "--store", paramLabel = "SPEC",
            description = "The vector store, KIND:LOCATION: exact:FILE.cfi, lucene:FOLDER, "
                    + "postgres:jdbc:postgresql://HOST:PORT/DB (password from the environment or a file).")
    private String store;

    @Option(names = "--store-option", paramLabel = "KEY=VALUE",
            description = "A parameter of the store (repeatable), for example m=16 for Lucene.")
    private Map<String, String> parameters = new LinkedHashMap<>();

    /** Creates the options; picocli fills them in. */
    public StoreSelection() {
    }

    /**
     * Returns the store the options name: {@code --store}, or the short form {@code exact:FILE}.
     *
     * @param shortForm the file of the command's short-form option, or null when not given
     * @param shortOption the short-form option's name, for messages
     * @return the spec, or empty when neither was given
     * @throws CnnkitException if both were given, or the spec cannot be parsed
     */
    public Optional<StoreSpec> spec(Path shortForm, String shortOption) {
        if (store != null && shortForm != null) {
            throw new CnnkitException("give either --store or " + shortOption + " (the short form of exact:FILE), "
                    + "not both");
        }
        if (store != null) {
            return Optional.of(StoreSpec.parse(store));
        }
        return Optional.ofNullable(shortForm).map(file -> new StoreSpec(StoreSpec.Kind.EXACT, file.toString()));
    }

    /**
     * Returns store options holding the {@code --store-option} parameters.
     *
     * @return a builder to add the schema or lock timeout to
     */
    public StoreOptions.Builder options() {
        StoreOptions.Builder builder = StoreOptions.builder();
        parameters.forEach(builder::addParameter);
        return builder;
    }

    /**
     * Parses a duration written as a whole number with a unit, {@code 500ms}, {@code 30s}, {@code 5m} or
     * {@code 2h}, or in ISO-8601 ({@code PT5M}).
     *
     * @param text the duration
     * @return the duration
     * @throws CnnkitException if it cannot be read or is negative
     */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p")) {
                return requireNotNegative(Duration.parse(t.toUpperCase(Locale.ROOT)), text);
            }
            if (t.endsWith("ms")) {
                return requireNotNegative(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))), text);
            }
            long amount = Long.parseLong(t.substring(0, t.length() - 1));
            return requireNotNegative(switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> throw new NumberFormatException();
            }, text);
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new CnnkitException("cannot read the duration '" + text + "': write a whole number with a unit, "
                    + "such as 500ms, 30s, 5m or 2h (or ISO-8601 such as PT5M)");
        }
    }

    private static Duration requireNotNegative(Duration duration, String text) {
        if (duration.isNegative()) {
            throw new CnnkitException("the duration '" + text + "' is negative");
        }
        return duration;
    }
}
