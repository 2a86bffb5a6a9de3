package org.cnnkit.examples.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.ImageClassifier;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class SearchServerClassifyTest {

    @TempDir
    Path dir;

    @Test
    void withAModelClassifyGivesTheLabelsByProbabilityAndStatsListThem() throws Exception {
        TestGallery gallery = new TestGallery(dir, 1);
        List<String> labels = List.of("red", "green", "blue");
        try (SearchServer server = gallery.server().optClassifier(colourClassifier(labels)).build().start()) {
            HttpTestClient client = new HttpTestClient(server);
            JsonNode stats = HttpTestClient.json(client.get("/api/stats"));
            assertThat(stats.get("classifier").get("labels")).extracting(JsonNode::asText)
                    .containsExactlyElementsOf(labels);

            var response = client.upload("/api/classify", "q.png", Files.readAllBytes(gallery.anyImage()), "2");
            assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
            JsonNode predictions = HttpTestClient.json(response).get("predictions");
            assertThat(predictions).hasSize(2);
            assertThat(labels).contains(predictions.get(0).get("label").asText());
            assertThat(predictions.get(0).get("probability").asDouble())
                    .isGreaterThanOrEqualTo(predictions.get(1).get("probability").asDouble());

            var all = HttpTestClient.json(client.upload("/api/classify", "q.png",
                    Files.readAllBytes(gallery.anyImage()), "3")).get("predictions");
            double sum = 0;
            for (JsonNode p : all) {
                sum += p.get("probability").asDouble();
            }
            assertThat(sum).isCloseTo(1.0, within(1e-4));

            SearchServerApiTest.assertError(client.upload("/api/classify", "x.png",
                    "not an image".getBytes(StandardCharsets.UTF_8), null), 400, "not a usable image");
            assertThat(client.upload("/api/classify", "q.png", Files.readAllBytes(gallery.anyImage()), null)
                    .statusCode()).isEqualTo(200);
        }
    }

    /** A small untrained network: the mean colour through a softmax layer. */
    static ImageClassifier colourClassifier(List<String> labels) {
        var conf = new NeuralNetConfiguration.Builder().seed(3).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(16, 16, 3))
                .addLayer("mean", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(3).nOut(labels.size())
                        .activation(Activation.SOFTMAX).build(), "mean")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return ImageClassifier.builder().setNetwork(graph).setClassNames(labels).setInputShape(InputShape.rgb(16))
                .setPreprocessing(Preprocessing.RESCALE).build();
    }
}
