package org.cnnkit.retrieval.plot;

import java.awt.geom.Ellipse2D;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.retrieval.RetrievalMetrics;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Builds the two-panel chart of {@link RetrievalCurvesChart}. */
final class RetrievalCurvesDrawing {

    /** The highlighted line: the palette's black, thick. */
    private static final java.awt.Color HIGHLIGHT = ChartLook.color(6);

    /** The other lines take the palette's first six colours (no black, no yellow), then the same six dashed. */
    private static final int OTHER_COLOURS = 6;

    private RetrievalCurvesDrawing() {
    }

    static JFreeChart chart(String title, List<RetrievalCurvesChart.Variant> variants) {
        // The highlighted variant becomes series 0: first in the legend and, as XY plots draw series in reverse, on top.
        List<RetrievalCurvesChart.Variant> ordered = new ArrayList<>();
        variants.stream().filter(RetrievalCurvesChart.Variant::highlighted).forEach(ordered::add);
        variants.stream().filter(v -> !v.highlighted()).forEach(ordered::add);

        XYSeriesCollection precisionRecall = new XYSeriesCollection();
        XYSeriesCollection precisionAtRank = new XYSeriesCollection();
        List<Double> levels = RetrievalMetrics.recallLevels();
        for (RetrievalCurvesChart.Variant variant : ordered) {
            String key = String.format(Locale.ROOT, "%s (mAP %.3f)", variant.label(),
                    variant.metrics().meanAveragePrecision());
            XYSeries pr = new XYSeries(key, false, true);
            for (int i = 0; i < levels.size(); i++) {
                pr.add(100 * levels.get(i), 100 * variant.metrics().interpolatedPrecision().get(i));
            }
            XYSeries atRank = new XYSeries(key, false, true);
            for (int k = 1; k <= RetrievalMetrics.MAX_RANK; k++) {
                atRank.add(k, 100 * variant.metrics().precisionAt(k));
            }
            precisionRecall.addSeries(pr);
            precisionAtRank.addSeries(atRank);
        }

        NumberAxis recallAxis = ChartLook.numberAxis("recall (%)");
        recallAxis.setRange(0, 100);
        recallAxis.setTickUnit(new NumberTickUnit(20));
        NumberAxis rankAxis = ChartLook.numberAxis("rank k (precision among the first k matches)");
        rankAxis.setRange(0.5, RetrievalMetrics.MAX_RANK + 0.5);
        rankAxis.setTickUnit(new NumberTickUnit(2));
        NumberAxis precisionAxis = ChartLook.numberAxis("precision (%)");
        precisionAxis.setRange(0, 101);
        precisionAxis.setTickUnit(new NumberTickUnit(20));

        XYPlot left = ChartLook.style(new XYPlot(precisionRecall, recallAxis, null, renderer(ordered)));
        XYPlot right = ChartLook.style(new XYPlot(precisionAtRank, rankAxis, null, renderer(ordered)));
        CombinedRangeXYPlot plot = new CombinedRangeXYPlot(precisionAxis);
        plot.setGap(28);
        plot.add(left, 1);
        plot.add(right, 1);
        ChartLook.style(plot);
        plot.setFixedLegendItems(left.getLegendItems());

        RetrievalCurvesChart.Variant first = ordered.get(0);
        // The highlighted line is the legend's first entry, drawn thick and black.
        String subtitle = String.format(Locale.ROOT,
                "left: interpolated precision-recall curve; right: precision at rank k; means over %d leave-one-out "
                        + "queries", first.metrics().queries());
        return ChartLook.chart(title, subtitle, plot, true);
    }

    private static XYLineAndShapeRenderer renderer(List<RetrievalCurvesChart.Variant> ordered) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        int other = 0;
        for (int s = 0; s < ordered.size(); s++) {
            if (ordered.get(s).highlighted()) {
                renderer.setSeriesPaint(s, HIGHLIGHT);
                renderer.setSeriesStroke(s, ChartLook.line(4.5f, false));
                renderer.setSeriesShapesVisible(s, true);
                renderer.setSeriesShape(s, new Ellipse2D.Double(-4, -4, 8, 8));
            } else {
                renderer.setSeriesPaint(s, ChartLook.color(other % OTHER_COLOURS));
                renderer.setSeriesStroke(s, ChartLook.line(2f, other >= OTHER_COLOURS));
                other++;
            }
        }
        renderer.setDrawSeriesLineAsPath(true);
        return renderer;
    }
}
