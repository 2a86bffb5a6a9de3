package org.cnnkit.zoo;

import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressTracker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pooled features of a frozen base, computed once: one {@code [N, channels]} matrix per view of the images, with
 * the matching one-hot labels.
 *
 * @param views the features of each view (each a full pass over the images)
 * @param labels the labels of each view, row for row
 */
record FeatureCache(List<INDArray> views, List<INDArray> labels) {

    /** Returns the number of rows of one view. */
    int rows() {
        return (int) views.get(0).size(0);
    }

    /** Returns the feature width. */
    int channels() {
        return (int) views.get(0).size(1);
    }

    /**
     * Runs the pooled base over {@code passes} epochs of the iterator (resetting it between passes, so that an
     * augmenting iterator gives a new view each time) and keeps the outputs.
     */
    static FeatureCache extract(InferenceSession pooledBase, DataSetIterator images, int passes,
            ProgressTracker tracker) {
        List<INDArray> views = new ArrayList<>();
        List<INDArray> labels = new ArrayList<>();
        for (int pass = 0; pass < passes; pass++) {
            if (images.resetSupported()) {
                images.reset();
            } else if (pass > 0) {
                throw new CnnkitException("the training iterator cannot be reset, so it cannot give "
                        + passes + " views of the images");
            }
            List<INDArray> features = new ArrayList<>();
            List<INDArray> labelBatches = new ArrayList<>();
            while (images.hasNext()) {
                DataSet batch = images.next();
                features.add(pooledBase.output(batch.getFeatures()).detach());
                labelBatches.add(batch.getLabels().detach());
                tracker.advance(batch.numExamples());
            }
            if (features.isEmpty()) {
                throw new CnnkitException("no images to extract features from (the iterator gave no batch)");
            }
            views.add(Nd4j.vstack(features.toArray(INDArray[]::new)));
            labels.add(Nd4j.vstack(labelBatches.toArray(INDArray[]::new)));
        }
        return new FeatureCache(List.copyOf(views), List.copyOf(labels));
    }
}
