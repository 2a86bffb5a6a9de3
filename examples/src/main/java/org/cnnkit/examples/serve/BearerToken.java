package org.cnnkit.examples.serve;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The API token: a request passes with {@code Authorization: Bearer TOKEN}. Both sides are hashed with SHA-256 and the
 * digests compared in constant time, so neither the token's content nor its length shows in the time taken.
 */
final class BearerToken {

    private static final String PREFIX = "Bearer ";

    private final byte[] digest;

    BearerToken(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the API token is empty");
        }
        this.digest = sha256(token);
    }

    boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(PREFIX.length()).trim()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
