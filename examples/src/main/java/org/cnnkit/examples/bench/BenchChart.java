package org.cnnkit.examples.bench;

import java.awt.Font;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartFile;
import org.cnnkit.core.plot.ChartLook;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Draws cnnkit's benchmark results beside its peers': one group of horizontal bars per workload that cnnkit ran,
 * one bar per peer (the lines' {@code peer} text: cnnkit first, then the peers in the order they were read). A bar's
 * length is its throughput as a share of the fastest in its workload, so that workloads of very different speeds
 * share one axis; its label gives the measured value and unit. Repeated lines for one peer and workload (several
 * rounds) are averaged. Peer lines for workloads cnnkit did not run are left out.
 */
public final class BenchChart {

    private BenchChart() {
    }

    /**
     * Writes the bar chart, {@link ChartLook#WIDTH} x {@link ChartLook#HEIGHT}, PNG or SVG by the extension.
     *
     * @param cnnkit cnnkit's measurements, which choose the workloads
     * @param peers the peers' measurements (may be empty: then only cnnkit's bars)
     * @param file a {@code .png} or {@code .svg} file, written atomically
     * @throws CnnkitException if there is no cnnkit measurement, a workload's lines disagree on the unit, or the
     *     file cannot be written
     */
    public static void write(List<BenchResult> cnnkit, List<BenchResult> peers, Path file) {
        if (cnnkit.isEmpty()) {
            throw new CnnkitException("no cnnkit benchmark results to draw");
        }
        List<BenchResult> all = new ArrayList<>(cnnkit);
        all.addAll(peers);
        Set<String> workloads = new LinkedHashSet<>();
        cnnkit.forEach(r -> workloads.add(r.workload()));
        Map<String, String> units = new LinkedHashMap<>();
        // peer -> workload -> [sum, count]
        Map<String, Map<String, double[]>> sums = new LinkedHashMap<>();
        for (BenchResult r : all) {
            if (!workloads.contains(r.workload())) {
                continue;
            }
            String unit = units.putIfAbsent(r.workload(), r.unit());
            if (unit != null && !unit.equals(r.unit())) {
                throw new CnnkitException("workload " + r.workload() + " is measured in " + unit + " and in "
                        + r.unit() + ": the lines do not measure the same thing");
            }
            double[] sum = sums.computeIfAbsent(r.peer(), p -> new LinkedHashMap<>())
                    .computeIfAbsent(r.workload(), w -> new double[2]);
            sum[0] += r.value();
            sum[1]++;
        }
        Map<String, Double> fastest = new LinkedHashMap<>();
        sums.values().forEach(byWorkload -> byWorkload.forEach((w, s) -> fastest.merge(w, s[0] / s[1], Math::max)));
        DefaultCategoryDataset shares = new DefaultCategoryDataset();
        Map<String, String> labels = new LinkedHashMap<>();
        for (String workload : workloads) {
            for (Map.Entry<String, Map<String, double[]>> peer : sums.entrySet()) {
                double[] s = peer.getValue().get(workload);
                if (s == null) {
                    continue;
                }
                double value = s[0] / s[1];
                shares.addValue(100 * value / fastest.get(workload), peer.getKey(), workload);
                labels.put(peer.getKey() + "\n" + workload, String.format(Locale.ROOT, "%s %s",
                        value >= 100 ? String.format(Locale.ROOT, "%.0f", value)
                                : String.format(Locale.ROOT, "%.1f", value), units.get(workload)));
            }
        }
        ChartFile.write(chart(shares, labels, sums.size()), file, ChartLook.WIDTH, ChartLook.HEIGHT);
    }

    private static JFreeChart chart(DefaultCategoryDataset shares, Map<String, String> labels, int peers) {
        NumberAxis shareAxis = ChartLook.numberAxis("throughput, % of the fastest in the workload (higher is better)");
        shareAxis.setRange(0, 128);
        shareAxis.setTickUnit(new NumberTickUnit(20));
        int rows = shares.getColumnCount() * Math.max(1, peers);
        CategoryPlot plot = ChartLook.horizontalBars(shares, "workload", 0.25, shareAxis, new ValueLabels(labels),
                new Font(ChartLook.FONT_FAMILY, Font.PLAIN, rows > 24 ? 11 : 13));
        return ChartLook.chart("Benchmark: cnnkit and its peers", "each workload run in its own process; "
                + "bar labels give the measured throughput", plot, true);
    }

    /** Labels each bar with its measured value and unit rather than its share. */
    private static final class ValueLabels extends StandardCategoryItemLabelGenerator {

        private final Map<String, String> labels;

        ValueLabels(Map<String, String> labels) {
            this.labels = labels;
        }

        @Override
        public String generateLabel(CategoryDataset dataset, int row, int column) {
            return labels.get(dataset.getRowKey(row) + "\n" + dataset.getColumnKey(column));
        }
    }
}
