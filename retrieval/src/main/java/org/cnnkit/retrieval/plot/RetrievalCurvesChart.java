package org.cnnkit.retrieval.plot;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartFile;
import org.cnnkit.core.plot.ChartFormat;
import org.cnnkit.core.plot.ChartLibrary;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.retrieval.RetrievalMetrics;

/**
 * Draws the retrieval quality of several search settings measured on the same collection, two panels side by side
 * over a shared precision axis: the mean interpolated precision-recall curve on the left, the mean precision at
 * ranks 1 to {@value RetrievalMetrics#MAX_RANK} on the right; one line per settings variant, the highlighted one
 * (usually the settings in use) thick and in front. The picture is {@link ChartLook#WIDTH} x
 * {@link ChartLook#HEIGHT}, PNG or SVG by the file's extension, in cnnkit's shared look.
 *
 * <pre>{@code
 * RetrievalCurvesChart.builder()
 *     .addVariant("raw", RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.raw()))
 *     .addVariant("default", RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.defaults()))
 *     .optHighlight("default")
 *     .build()
 *     .write(Path.of("retrieval-curves.png"));
 * }</pre>
 */
public final class RetrievalCurvesChart {

    /**
     * One line of the chart.
     *
     * @param label the legend text, such as the settings' description
     * @param metrics the metrics whose curves are drawn
     * @param highlighted whether the line is drawn thick and in front
     */
    public record Variant(String label, RetrievalMetrics metrics, boolean highlighted) {
    }

    private final String title;
    private final List<Variant> variants;

    private RetrievalCurvesChart(Builder builder) {
        this.title = builder.title;
        List<Variant> lines = new ArrayList<>();
        for (int i = 0; i < builder.labels.size(); i++) {
            String label = builder.labels.get(i);
            lines.add(new Variant(label, builder.metrics.get(i), label.equals(builder.highlight)));
        }
        this.variants = List.copyOf(lines);
    }

    /** {@return a builder: add at least one variant} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the lines to draw, in the order they were added} */
    public List<Variant> variants() {
        return variants;
    }

    /**
     * Writes the picture.
     *
     * @param file a {@code .png} or {@code .svg} file, written atomically
     * @throws CnnkitException if the format is unknown, the charting library is missing or the file cannot be written
     */
    public void write(Path file) {
        ChartLibrary.require(ChartFormat.of(file));
        try {
            ChartFile.write(RetrievalCurvesDrawing.chart(title, variants), file, ChartLook.WIDTH, ChartLook.HEIGHT);
        } catch (NoClassDefFoundError e) {
            throw ChartLibrary.missing(e);
        }
    }

    /** Collects the variants to draw. */
    public static final class Builder {

        private final List<String> labels = new ArrayList<>();
        private final List<RetrievalMetrics> metrics = new ArrayList<>();
        private String highlight;
        private String title = "Retrieval quality";

        private Builder() {
        }

        /**
         * Adds a line.
         *
         * @param label the legend text; distinct from the other variants'
         * @param result the metrics of that variant
         * @return this builder
         */
        public Builder addVariant(String label, RetrievalMetrics result) {
            labels.add(Objects.requireNonNull(label, "label"));
            metrics.add(Objects.requireNonNull(result, "result"));
            return this;
        }

        /**
         * Draws one variant thick and in front.
         *
         * @param label the label of a variant added (before or after this call)
         * @return this builder
         */
        public Builder optHighlight(String label) {
            this.highlight = Objects.requireNonNull(label, "label");
            return this;
        }

        /**
         * Sets the title (default {@code Retrieval quality}).
         *
         * @param title the title
         * @return this builder
         */
        public Builder optTitle(String title) {
            this.title = Objects.requireNonNull(title, "title");
            return this;
        }

        /**
         * Checks the variants and returns the chart.
         *
         * @return the chart
         * @throws CnnkitException if no variant was added, two share a label, or the highlighted label is not one of
         *     them
         */
        public RetrievalCurvesChart build() {
            if (labels.isEmpty()) {
                throw new CnnkitException("no retrieval curves to draw: add at least one variant");
            }
            if (labels.stream().distinct().count() != labels.size()) {
                throw new CnnkitException("retrieval variants need distinct labels, got " + labels);
            }
            if (highlight != null && !labels.contains(highlight)) {
                throw new CnnkitException("the highlighted variant '" + highlight + "' is not among " + labels);
            }
            return new RetrievalCurvesChart(this);
        }
    }
}
