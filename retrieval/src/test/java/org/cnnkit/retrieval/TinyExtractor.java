package org.cnnkit.retrieval;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A cheap real extractor for tests: the mean colour of each quarter of a 16x16 image (12 values). */
class TinyExtractor extends GraphFeatureExtractor {

    TinyExtractor(int batchSize) {
        this(batchSize, Preprocessing.RESCALE);
    }

    /** With another preprocessing, which makes another extractor identity. */
    TinyExtractor(int batchSize, Preprocessing preprocessing) {
        super("tiny-colour-layout", buildNetwork(), new ExtractorIdentity("test/colour-layout", "none", InputShape.rgb(16),
                preprocessing, 12), batchSize);
    }

    private static ComputationGraph buildNetwork() {
        var conf = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(16, 16, 3))
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(8, 8).stride(8, 8).build(), "in")
                .setOutputs("pool").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    @Override
    INDArray toFeatures(INDArray output) {
        return output.reshape(output.size(0), 12);
    }

    /** Writes a PNG: a background colour with a shape of another colour. */
    static Path drawPng(Path file, Color background, Color shape, boolean circle, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(background);
        g.fillRect(0, 0, size, size);
        g.setColor(shape);
        if (circle) {
            g.fillOval(size / 4, size / 4, size / 2, size / 2);
        } else {
            g.fillRect(0, 0, size / 2, size);
        }
        g.dispose();
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
