package org.cnnkit.zoo.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.util.Locale;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.zoo.EpochStats;
import org.cnnkit.zoo.TrainingHistory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Builds the two-panel chart of {@link TrainingCurvesChart}. */
final class TrainingCurvesDrawing {

    private static final Color TRAINING = ChartLook.color(0);
    private static final Color VALIDATION = ChartLook.color(1);

    private TrainingCurvesDrawing() {
    }

    static JFreeChart chart(TrainingHistory history) {
        int epochs = history.epochs().size();
        boolean validated = history.epochs().stream().anyMatch(EpochStats::hasValidation);
        XYSeries trainLoss = new XYSeries("training");
        XYSeries validationLoss = new XYSeries("validation");
        XYSeries trainAccuracy = new XYSeries("training accuracy");
        XYSeries validationAccuracy = new XYSeries("validation accuracy");
        for (EpochStats e : history.epochs()) {
            addFinite(trainLoss, e.epoch(), e.trainLoss());
            addFinite(trainAccuracy, e.epoch(), 100 * e.trainAccuracy());
            addFinite(validationLoss, e.epoch(), e.validationLoss());
            addFinite(validationAccuracy, e.epoch(), 100 * e.validationAccuracy());
        }

        NumberAxis epochAxis = ChartLook.numberAxis("epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochAxis.setRange(0.5, epochs + 0.5);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochAxis);
        plot.setGap(14);

        NumberAxis lossAxis = ChartLook.numberAxis("loss (cross-entropy)");
        lossAxis.setAutoRangeIncludesZero(true);
        XYPlot lossPanel = panel(lossAxis, trainLoss, validated ? validationLoss : null);
        NumberAxis accuracyAxis = ChartLook.numberAxis("accuracy (%)");
        accuracyAxis.setAutoRangeIncludesZero(false);
        accuracyAxis.setUpperMargin(0.08);
        XYPlot accuracyPanel = panel(accuracyAxis, trainAccuracy, validated ? validationAccuracy : null);
        // The label goes on the side of the line with more room: right of an early best epoch, left of a late one.
        boolean labelLeft = history.bestEpoch() > (epochs + 1) / 2.0;
        markBest(lossPanel, history.bestEpoch(), true, labelLeft);
        markBest(accuracyPanel, history.bestEpoch(), false, labelLeft);
        plot.add(lossPanel, 1);
        plot.add(accuracyPanel, 1);
        // Both panels use the same two colours and strokes: one legend entry for each.
        plot.setFixedLegendItems(lossPanel.getLegendItems());
        ChartLook.style(plot);
        return ChartLook.chart("Training curves", subtitle(history), plot, true);
    }

    private static XYPlot panel(NumberAxis axis, XYSeries training, XYSeries validation) {
        XYSeriesCollection data = new XYSeriesCollection(training);
        if (validation != null) {
            data.addSeries(validation);
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, TRAINING);
        renderer.setSeriesStroke(0, ChartLook.line(2.5f, false));
        renderer.setSeriesShape(0, new Ellipse2D.Double(-4, -4, 8, 8));
        if (validation != null) {
            renderer.setSeriesPaint(1, VALIDATION);
            renderer.setSeriesStroke(1, ChartLook.line(2.5f, true));
            renderer.setSeriesShape(1, new Ellipse2D.Double(-4, -4, 8, 8));
        }
        renderer.setDrawSeriesLineAsPath(true);
        XYPlot panel = new XYPlot(data, null, axis, renderer);
        return ChartLook.style(panel);
    }

    private static void markBest(XYPlot panel, int bestEpoch, boolean labelled, boolean labelLeft) {
        ValueMarker marker = new ValueMarker(bestEpoch, new Color(0x555555),
                new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {3f, 3f}, 0f));
        if (labelled) {
            marker.setLabel("best epoch " + bestEpoch);
            marker.setLabelFont(new Font(ChartLook.FONT_FAMILY, Font.PLAIN, 14));
            marker.setLabelPaint(Color.BLACK);
            marker.setLabelBackgroundColor(new Color(255, 255, 255, 0));
            marker.setLabelAnchor(labelLeft ? RectangleAnchor.TOP_LEFT : RectangleAnchor.TOP_RIGHT);
            marker.setLabelTextAnchor(labelLeft ? TextAnchor.TOP_RIGHT : TextAnchor.TOP_LEFT);
            marker.setLabelOffset(new RectangleInsets(4, 6, 0, 6));
        }
        panel.addDomainMarker(marker);
    }

    private static String subtitle(TrainingHistory history) {
        EpochStats best = history.best();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%d epoch%s in %.0f s%s; kept epoch %d: ",
                history.epochs().size(), history.epochs().size() == 1 ? "" : "s", history.seconds(), history.stoppedEarly() ? " (stopped early)" : "",
                history.bestEpoch()));
        if (best.hasValidation()) {
            text.append(String.format(Locale.ROOT, "validation accuracy %.1f%%, validation loss %.4f",
                    100 * best.validationAccuracy(), best.validationLoss()));
        } else {
            text.append(String.format(Locale.ROOT, "training accuracy %.1f%%, training loss %.4f (no validation)",
                    100 * best.trainAccuracy(), best.trainLoss()));
        }
        return text.toString();
    }

    private static void addFinite(XYSeries series, int epoch, double value) {
        if (Double.isFinite(value)) {
            series.add(epoch, value);
        }
    }
}
