package org.cnnkit.retrieval.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * SQL settings a job changes on the caller's session for its own queries, and puts back as they were when it ends
 * ({@link #restore()}): a setting that was unset is unset again.
 */
final class SessionSettings {

    private final SparkSession spark;
    private final Map<String, Optional<String>> before = new LinkedHashMap<>();

    SessionSettings(SparkSession spark) {
        this.spark = spark;
    }

    /**
     * Sets a setting for the job, remembering its value before the first change.
     *
     * @param key the setting
     * @param value its value for the job
     */
    void set(String key, String value) {
        before.computeIfAbsent(key, k -> Optional.ofNullable(spark.conf().get(k, null)));
        spark.conf().set(key, value);
    }

    /** Puts every changed setting back as it was. */
    void restore() {
        before.forEach((key, value) -> {
            if (value.isPresent()) {
                spark.conf().set(key, value.get());
            } else {
                spark.conf().unset(key);
            }
        });
        before.clear();
    }
}
