package org.cnnkit.core.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.util.List;
import java.util.Locale;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;

/** Builds the confusion matrix heat map of {@link ConfusionMatrixChart}. */
final class ConfusionMatrixDrawing {

    private ConfusionMatrixDrawing() {
    }

    static JFreeChart chart(ClassificationMetrics metrics, String title) {
        List<String> names = metrics.classNames();
        int n = names.size();
        int[][] confusion = metrics.confusionMatrix();
        double[][] cells = new double[3][n * n];
        for (int actual = 0; actual < n; actual++) {
            int support = metrics.perClass().get(actual).support();
            for (int predicted = 0; predicted < n; predicted++) {
                int i = actual * n + predicted;
                cells[0][i] = predicted;
                cells[1][i] = actual;
                cells[2][i] = (double) confusion[actual][predicted] / support;
            }
        }
        DefaultXYZDataset dataset = new DefaultXYZDataset();
        dataset.addSeries("share of the actual class", cells);

        SymbolAxis predictedAxis = ChartLook.style(new SymbolAxis("predicted class", names.toArray(String[]::new)));
        predictedAxis.setGridBandsVisible(false);
        // Horizontal names need about 9 pixels a character in a column of some 600 / n pixels; otherwise they would
        // overlap and the axis would drop some: turn them vertical.
        int longest = names.stream().mapToInt(String::length).max().orElse(1);
        predictedAxis.setVerticalTickLabels(longest * 9 > 560 / n);
        String[] rowLabels = new String[n];
        for (int c = 0; c < n; c++) {
            ClassificationMetrics.ClassScore score = metrics.perClass().get(c);
            rowLabels[c] = n > MAX_ROW_NOTE_CLASSES ? score.className()
                    : String.format(Locale.ROOT, "%s  (recall %.1f%%, %d)", score.className(), 100 * score.recall(),
                            score.support());
        }
        SymbolAxis actualAxis = ChartLook.style(new SymbolAxis("actual class  (recall, images)", rowLabels));
        actualAxis.setGridBandsVisible(false);
        actualAxis.setInverted(true);

        XYBlockRenderer renderer = new XYBlockRenderer();
        BluePaintScale scale = new BluePaintScale();
        renderer.setPaintScale(scale);
        XYPlot plot = ChartLook.style(new XYPlot(dataset, predictedAxis, actualAxis, renderer));
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setDomainAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
        predictedAxis.setRange(-0.5, n - 0.5);
        actualAxis.setRange(-0.5, n - 0.5);
        if (n <= ConfusionMatrixChart.MAX_LABELLED_CLASSES) {
            addCounts(plot, confusion, cells[2], n);
        }

        String subtitle = String.format(Locale.ROOT,
                "accuracy %.1f%% (%d of %d images); rows: actual class, columns: predicted class, colour: share of the row",
                100 * metrics.accuracy(), metrics.correct(), metrics.count());
        JFreeChart chart = ChartLook.chart(title, subtitle, plot, false);
        NumberAxis scaleAxis = ChartLook.numberAxis("share of the actual class (%)");
        scaleAxis.setRange(0, 100);
        scaleAxis.setTickUnit(new NumberTickUnit(20));
        PaintScaleLegend legend = new PaintScaleLegend(new PercentScale(scale), scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setStripWidth(18);
        legend.setAxisOffset(4);
        legend.setMargin(new RectangleInsets(10, 18, 10, 0));
        legend.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(legend);
        return chart;
    }

    /** Above this many classes the row labels carry only the class names. */
    private static final int MAX_ROW_NOTE_CLASSES = 20;

    private static void addCounts(XYPlot plot, int[][] confusion, double[] shares, int n) {
        int size = n <= 4 ? 24 : n <= 10 ? 18 : n <= 20 ? 13 : 10;
        Font countFont = new Font(ChartLook.FONT_FAMILY, Font.BOLD, size);
        Font shareFont = new Font(ChartLook.FONT_FAMILY, Font.PLAIN, Math.max(9, size * 2 / 3));
        boolean withShares = n <= 6;
        for (int actual = 0; actual < n; actual++) {
            for (int predicted = 0; predicted < n; predicted++) {
                double share = shares[actual * n + predicted];
                Color text = share > 0.5 ? Color.WHITE : Color.BLACK;
                double y = withShares ? actual - 0.1 : actual;
                XYTextAnnotation count = new XYTextAnnotation(Integer.toString(confusion[actual][predicted]),
                        predicted, y);
                count.setFont(countFont);
                count.setPaint(text);
                count.setTextAnchor(TextAnchor.CENTER);
                plot.addAnnotation(count);
                if (withShares) {
                    XYTextAnnotation percent = new XYTextAnnotation(
                            String.format(Locale.ROOT, "%.1f%%", 100 * share), predicted, actual + 0.18);
                    percent.setFont(shareFont);
                    percent.setPaint(text);
                    percent.setTextAnchor(TextAnchor.CENTER);
                    plot.addAnnotation(percent);
                }
            }
        }
    }

    /** White for 0, through light blue, to the palette's dark blue for 1. */
    static final class BluePaintScale implements PaintScale {

        private static final Color LOW = new Color(0xF7FBFF);
        private static final Color HIGH = new Color(0x08306B);

        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            double t = Double.isNaN(value) ? 0 : Math.max(0, Math.min(1, value));
            // Square root: small off-diagonal shares stay visible next to a dominant diagonal.
            t = Math.sqrt(t);
            return new Color(mix(LOW.getRed(), HIGH.getRed(), t), mix(LOW.getGreen(), HIGH.getGreen(), t),
                    mix(LOW.getBlue(), HIGH.getBlue(), t));
        }

        private static int mix(int low, int high, double t) {
            return (int) Math.round(low + (high - low) * t);
        }
    }

    /** The same colours over 0..100, for the legend's percent axis. */
    private record PercentScale(PaintScale shares) implements PaintScale {

        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 100;
        }

        @Override
        public Paint getPaint(double value) {
            return shares.getPaint(value / 100);
        }
    }
}
