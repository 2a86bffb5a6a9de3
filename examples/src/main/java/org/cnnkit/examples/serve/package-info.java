/**
 * {@code cnnkit serve}: the image search web page and its JSON API on an embedded Javalin (Jetty) server. The page is
 * plain HTML, CSS and JavaScript served from the jar; the API searches with an uploaded image or an indexed one,
 * classifies with an optional model, and serves indexed images only by their id. See {@code docs/serve.md}.
 *
 * <p>{@link org.cnnkit.examples.serve.SearchServer} is the one public type; the rest is package-private.
 */
package org.cnnkit.examples.serve;
