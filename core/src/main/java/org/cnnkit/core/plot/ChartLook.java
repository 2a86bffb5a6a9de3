package org.cnnkit.core.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Stroke;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.Axis;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.labels.CategoryItemLabelGenerator;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;

/**
 * The one look every cnnkit chart shares: size, fonts, colours, grid and margins, so that the training curves, the
 * confusion matrix, the retrieval curves and the benchmark bars read as one family.
 *
 * <p>Colours come from the Okabe-Ito palette, which stays distinguishable with the common colour-vision
 * deficiencies; the yellow, hard to see on white, comes last. Text is large enough to read when the picture is shown
 * at half size, and every chart keeps a margin so that no label touches the border.
 *
 * <p>This class exposes JFreeChart types: only code that already draws with JFreeChart (the {@code plot} packages)
 * calls it, after {@link ChartLibrary#require(ChartFormat)}.
 */
public final class ChartLook {

    /** The default picture width in pixels. */
    public static final int WIDTH = 1000;

    /** The default picture height in pixels. */
    public static final int HEIGHT = 600;

    /** The Okabe-Ito palette in the order series take it: blue, vermillion, bluish green, reddish purple, orange,
     * sky blue, black, yellow. */
    public static final List<Color> PALETTE = List.of(
            new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
            new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442));

    /** The font family of every text. */
    public static final String FONT_FAMILY = Font.SANS_SERIF;

    /** The chart title's font. */
    public static final Font TITLE_FONT = new Font(FONT_FAMILY, Font.BOLD, 22);

    /** The subtitle's font: the one-line summary under the title. */
    public static final Font SUBTITLE_FONT = new Font(FONT_FAMILY, Font.PLAIN, 15);

    /** The font of axis labels. */
    public static final Font LABEL_FONT = new Font(FONT_FAMILY, Font.PLAIN, 16);

    /** The font of tick labels and legend items. */
    public static final Font TICK_FONT = new Font(FONT_FAMILY, Font.PLAIN, 14);

    /** The colour of grid lines. */
    public static final Color GRID = new Color(0xD9D9D9);

    private ChartLook() {
    }

    /**
     * Returns the palette colour of a series, cycling when there are more series than colours.
     *
     * @param index the series index, from 0
     * @return its colour
     */
    public static Color color(int index) {
        return PALETTE.get(Math.floorMod(index, PALETTE.size()));
    }

    /**
     * Returns the stroke of a data line.
     *
     * @param width the line width in pixels
     * @param dashed whether the line is dashed (for a second family of series, such as validation figures)
     * @return the stroke
     */
    public static Stroke line(float width, boolean dashed) {
        return dashed
                ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {8f, 5f}, 0f)
                : new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /**
     * Makes a chart with the shared look: white background, bold title, an optional subtitle, the legend (if any)
     * under the plot, margins all round.
     *
     * @param title the title
     * @param subtitle a one-line summary under the title, or null
     * @param plot the plot, already styled with {@link #style(XYPlot)} or {@link #style(CategoryPlot)}
     * @param legend whether to show the legend
     * @return the chart
     */
    public static JFreeChart chart(String title, String subtitle, Plot plot, boolean legend) {
        JFreeChart chart = new JFreeChart(title, TITLE_FONT, plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(12, 16, 12, 24));
        chart.getTitle().setPaint(Color.BLACK);
        if (subtitle != null) {
            TextTitle sub = new TextTitle(subtitle, SUBTITLE_FONT);
            sub.setPaint(new Color(0x404040));
            sub.setPadding(new RectangleInsets(2, 0, 6, 0));
            chart.addSubtitle(sub);
        }
        LegendTitle legendTitle = chart.getLegend();
        if (legendTitle != null) {
            legendTitle.setItemFont(TICK_FONT);
            legendTitle.setPosition(RectangleEdge.BOTTOM);
            legendTitle.setHorizontalAlignment(HorizontalAlignment.CENTER);
            legendTitle.setFrame(BlockBorder.NONE);
            legendTitle.setBackgroundPaint(Color.WHITE);
            legendTitle.setItemLabelPadding(new RectangleInsets(2, 4, 2, 14));
            legendTitle.setMargin(new RectangleInsets(8, 0, 0, 0));
        }
        return chart;
    }

    /**
     * Makes a number axis with the shared fonts.
     *
     * @param label the axis label, with its unit, such as {@code accuracy (%)}
     * @return the axis
     */
    public static NumberAxis numberAxis(String label) {
        NumberAxis axis = new NumberAxis(label);
        style(axis);
        return axis;
    }

    /**
     * Gives an axis the shared fonts and colours.
     *
     * @param axis the axis
     * @param <A> the axis type
     * @return the same axis
     */
    public static <A extends Axis> A style(A axis) {
        axis.setLabelFont(LABEL_FONT);
        axis.setTickLabelFont(TICK_FONT);
        axis.setLabelPaint(Color.BLACK);
        axis.setTickLabelPaint(Color.BLACK);
        axis.setAxisLinePaint(Color.GRAY);
        axis.setTickMarkPaint(Color.GRAY);
        return axis;
    }

    /**
     * Gives an XY plot the shared background and grid.
     *
     * @param plot the plot
     * @return the same plot
     */
    public static XYPlot style(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlinePaint(Color.GRAY);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setDomainGridlineStroke(new BasicStroke(1f));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        return plot;
    }

    /**
     * Gives a category plot the shared background and grid.
     *
     * @param plot the plot
     * @return the same plot
     */
    public static CategoryPlot style(CategoryPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlinePaint(Color.GRAY);
        plot.setRangeGridlinePaint(GRID);
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setDomainGridlinesVisible(false);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        return plot;
    }

    /**
     * Makes a horizontal bar plot in the shared look: one group of bars per category (top to bottom), one bar per
     * series in the palette's colours, flat bars, each labelled just past its end, the value axis at the bottom.
     *
     * @param data the bars: series (rows) by category (columns)
     * @param categoryLabel the label of the category axis, such as {@code workload}
     * @param categoryMargin the share of the category axis left between groups of bars
     * @param valueAxis the value axis, made with {@link #numberAxis(String)} and given its range
     * @param barLabels the text at the end of each bar
     * @param barLabelFont the font of that text
     * @return the plot, ready for {@link #chart(String, String, Plot, boolean)}
     */
    public static CategoryPlot horizontalBars(CategoryDataset data, String categoryLabel, double categoryMargin,
                                              NumberAxis valueAxis, CategoryItemLabelGenerator barLabels,
                                              Font barLabelFont) {
        CategoryAxis categoryAxis = style(new CategoryAxis(categoryLabel));
        categoryAxis.setCategoryMargin(categoryMargin);
        categoryAxis.setLowerMargin(0.02);
        categoryAxis.setUpperMargin(0.02);
        BarRenderer renderer = new BarRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setDrawBarOutline(false);
        renderer.setItemMargin(0.05);
        for (int series = 0; series < data.getRowCount(); series++) {
            renderer.setSeriesPaint(series, color(series));
        }
        renderer.setDefaultItemLabelGenerator(barLabels);
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(barLabelFont);
        renderer.setDefaultItemLabelPaint(Color.BLACK);
        renderer.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3,
                TextAnchor.CENTER_LEFT));
        renderer.setItemLabelAnchorOffset(4);
        CategoryPlot plot = style(new CategoryPlot(data, categoryAxis, valueAxis, renderer));
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
        return plot;
    }
}
