package org.cnnkit.core.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.cnnkit.core.CnnkitException;
import org.junit.jupiter.api.Test;

class ChartLibraryTest {

    @Test
    void aMissingChartClassNamesTheArtifactToAdd() {
        CnnkitException charts = ChartLibrary.missing(new NoClassDefFoundError("org/jfree/chart/JFreeChart"));
        CnnkitException svg = ChartLibrary.missing(new NoClassDefFoundError("org/jfree/svg/SVGGraphics2D"));

        assertThat(charts).hasMessageContaining("add the Maven dependency org.jfree:jfreechart");
        assertThat(svg).hasMessageContaining("add the Maven dependency org.jfree:org.jfree.svg");
        assertThat(charts.getCause()).isInstanceOf(NoClassDefFoundError.class);
    }

    @Test
    void bothLibrariesArePresentOnTheTestClassPath() {
        assertThatCode(() -> ChartLibrary.require(ChartFormat.PNG)).doesNotThrowAnyException();
        assertThatCode(() -> ChartLibrary.require(ChartFormat.SVG)).doesNotThrowAnyException();
    }

    @Test
    void theFormatComesFromTheExtensionInAnyCase() {
        assertThat(ChartFormat.of(Path.of("a/b/curves.PNG"))).isEqualTo(ChartFormat.PNG);
        assertThat(ChartFormat.of(Path.of("curves.svg"))).isEqualTo(ChartFormat.SVG);
        assertThat(ChartFormat.SVG.extension()).isEqualTo(".svg");
        assertThatThrownBy(() -> ChartFormat.of(Path.of("curves.pdf"))).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("curves.pdf").hasMessageContaining("must end in .png or .svg");
    }
}
