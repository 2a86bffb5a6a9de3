package org.cnnkit.core.plot;

import java.awt.geom.Rectangle2D;
import java.nio.charset.StandardCharsets;
import org.jfree.chart.JFreeChart;
import org.jfree.svg.SVGGraphics2D;

/** Draws a chart as an SVG document; kept apart so that writing PNG never loads JFreeSVG. */
final class SvgDocument {

    private SvgDocument() {
    }

    /** Returns the chart as a standalone SVG document in UTF-8. */
    static byte[] render(JFreeChart chart, int width, int height) {
        SVGGraphics2D g = new SVGGraphics2D(width, height);
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        // getSVGDocument() starts with the XML declaration; the text is written as UTF-8, XML's default.
        return (g.getSVGDocument() + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
