package org.cnnkit.retrieval.plot;

import java.awt.Font;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartFile;
import org.cnnkit.core.plot.ChartFormat;
import org.cnnkit.core.plot.ChartLibrary;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.retrieval.NearDuplicateMetrics;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Draws how well searches with distorted copies find their originals ({@link NearDuplicateMetrics}): one group of
 * horizontal bars per distortion and one for all copies, recall@1 and recall@4 side by side, each bar labelled with
 * its percentage and the group with its number of copies. The picture is {@link ChartLook#WIDTH} x
 * {@link ChartLook#HEIGHT}, PNG or SVG by the file's extension, in cnnkit's shared look.
 *
 * <pre>{@code
 * NearDuplicateMetrics copies = RetrievalEvaluation.nearDuplicates(vectors, queries, SearchSettings.defaults());
 * NearDuplicateChart.of(copies).optTitle("Near duplicates, Corel-1K").write(Path.of("near-duplicates.png"));
 * }</pre>
 */
public final class NearDuplicateChart {

    private static final String RECALL_AT_1 = "recall@1 (the original first)";
    private static final String RECALL_AT_4 = "recall@4 (the original among the first 4)";

    private final NearDuplicateMetrics metrics;
    private final String title;

    private NearDuplicateChart(NearDuplicateMetrics metrics, String title) {
        this.metrics = metrics;
        this.title = title;
    }

    /**
     * Prepares the chart of one evaluation.
     *
     * @param metrics the near-duplicate recall, overall and per distortion
     * @return the chart, titled {@code Near-duplicate search}
     * @throws CnnkitException if the metrics hold no query (nothing to draw)
     */
    public static NearDuplicateChart of(NearDuplicateMetrics metrics) {
        Objects.requireNonNull(metrics, "metrics");
        if (metrics.queries() == 0 || metrics.perDistortion().isEmpty()) {
            throw new CnnkitException("no near-duplicate queries to draw: the evaluation held no distorted copy");
        }
        return new NearDuplicateChart(metrics, "Near-duplicate search");
    }

    /**
     * Returns the same chart with another title.
     *
     * @param newTitle the title
     * @return a chart with that title
     */
    public NearDuplicateChart optTitle(String newTitle) {
        return new NearDuplicateChart(metrics, Objects.requireNonNull(newTitle, "title"));
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
            ChartFile.write(chart(), file, ChartLook.WIDTH, ChartLook.HEIGHT);
        } catch (NoClassDefFoundError e) {
            throw ChartLibrary.missing(e);
        }
    }

    private JFreeChart chart() {
        DefaultCategoryDataset recall = new DefaultCategoryDataset();
        for (NearDuplicateMetrics.DistortionRecall row : metrics.perDistortion()) {
            String group = group(row.distortion().key(), row.queries());
            recall.addValue(100 * row.recallAt1(), RECALL_AT_1, group);
            recall.addValue(100 * row.recallAt4(), RECALL_AT_4, group);
        }
        String all = group("all copies", metrics.queries());
        recall.addValue(100 * metrics.recallAt1(), RECALL_AT_1, all);
        recall.addValue(100 * metrics.recallAt4(), RECALL_AT_4, all);

        NumberAxis recallAxis = ChartLook.numberAxis("copies whose original was found (%)");
        // Room to the right of a full bar for its label.
        recallAxis.setRange(0, 112);
        recallAxis.setTickUnit(new NumberTickUnit(10, new PercentTicks()));
        CategoryPlot plot = ChartLook.horizontalBars(recall, "distortion (copies)", 0.3, recallAxis,
                new StandardCategoryItemLabelGenerator("{2}%",
                        new java.text.DecimalFormat("0.0", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT))),
                new Font(ChartLook.FONT_FAMILY, Font.PLAIN, 13));
        String subtitle = String.format(Locale.ROOT,
                "each copy searched for its original; overall recall@1 %.1f%%, recall@4 %.1f%% over %d copies",
                100 * metrics.recallAt1(), 100 * metrics.recallAt4(), metrics.queries());
        return ChartLook.chart(title, subtitle, plot, true);
    }

    private static String group(String name, int copies) {
        return name + " (" + copies + ")";
    }

    /** Tick labels 0 to 100; the room beyond 100, kept for the bars' labels, gets none. */
    private static final class PercentTicks extends java.text.NumberFormat {

        private static final long serialVersionUID = 1L;

        @Override
        public StringBuffer format(double number, StringBuffer toAppendTo, java.text.FieldPosition pos) {
            return number > 100.5 ? toAppendTo : toAppendTo.append(Math.round(number));
        }

        @Override
        public StringBuffer format(long number, StringBuffer toAppendTo, java.text.FieldPosition pos) {
            return format((double) number, toAppendTo, pos);
        }

        @Override
        public Number parse(String source, java.text.ParsePosition parsePosition) {
            throw new UnsupportedOperationException("tick labels are only written");
        }
    }
}
