/**
 * Feature extraction as an Apache Spark job: {@link org.cnnkit.retrieval.spark.SparkFeatureJob} reads images from
 * any path Spark reads and writes a Parquet {@link org.cnnkit.retrieval.spark.FeatureTable};
 * {@link org.cnnkit.retrieval.spark.StoreLoad} loads such a table into a vector store; and
 * {@link org.cnnkit.retrieval.spark.SparkFeatureJobMain} is the main class for {@code spark-submit}. Spark
 * ({@code org.apache.spark:spark-sql_2.13}) is a {@code provided} dependency: the cluster brings it.
 */
package org.cnnkit.retrieval.spark;
