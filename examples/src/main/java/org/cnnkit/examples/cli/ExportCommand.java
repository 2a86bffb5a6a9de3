package org.cnnkit.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.onnx.OnnxExport;
import org.cnnkit.zoo.onnx.OnnxMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code export}: writes a model file ({@code --model}) or a feature extractor's network ({@code --extractor ...})
 * as an ONNX model (opset 13, input {@code input} NCHW float of any batch size), with cnnkit's metadata (input shape,
 * preprocessing, class names, network name, cnnkit version) in its {@code metadata_props}.
 *
 * <p>Report keys: {@code out}, {@code source} (the model file or the extractor's name), {@code bytes},
 * {@code opset}, {@code input_shape}, {@code preprocessing}, {@code classes}.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a model (--model) or a feature extractor's network (--extractor) as an ONNX model.")
public final class ExportCommand extends CliCommand {

    @Mixin
    private ExtractorOptions extractor;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "A model file written by train (or give --extractor instead).")
    private Path model;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .onnx file to write.")
    private Path out;

    /** Creates the command; picocli fills in its options. */
    public ExportCommand() {
    }

    @Override
    protected void run(Report report) {
        OnnxExport export;
        String what;
        if ((model == null) == !extractor.extractorGiven()) {
            throw usageError("give either --model MODEL or --extractor vgg16|mobilenetv2 (with its options)");
        }
        if (model != null) {
            ImageClassifier classifier = ImageClassifier.load(model);
            export = OnnxExport.of(classifier);
            what = model.toAbsolutePath().normalize().toString();
        } else {
            ExtractorSpec spec = extractor.spec();
            export = spec.exportOnnx(progress());
            what = export.metadata().modelName();
        }
        export.write(out);
        OnnxMetadata metadata = export.metadata();
        InputShape shape = metadata.inputShape();
        long bytes;
        try {
            bytes = Files.size(out);
        } catch (IOException e) {
            bytes = -1;
        }
        report.put("out", out.toAbsolutePath().normalize());
        report.put("source", what);
        report.put("bytes", bytes);
        report.put("opset", OnnxExport.OPSET);
        report.put("input_shape", shape.height() + "x" + shape.width() + "x" + shape.channels());
        report.put("preprocessing", metadata.preprocessing().name());
        report.put("classes", metadata.classNames());
        out().printf("Wrote %s (%s, input [batch, %d, %d, %d], %s preprocessing%s): %d bytes%n", out, what,
                shape.channels(), shape.height(), shape.width(), metadata.preprocessing(),
                metadata.classNames().isEmpty() ? "" : ", " + metadata.classNames().size() + " classes", bytes);
    }
}
