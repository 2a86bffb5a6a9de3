package org.cnnkit.examples.serve;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The URL form of an indexed id in {@code /api/images/{key}}: the id's UTF-8 bytes in unpadded base64url, so that
 * ids holding slashes or dots stay one opaque path segment and a request can name nothing but a stored id.
 */
final class ImageKey {

    private ImageKey() {
    }

    static String of(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    /** The id a key stands for, or empty if the key is not valid base64url. */
    static Optional<String> idOf(String key) {
        try {
            return Optional.of(new String(Base64.getUrlDecoder().decode(key), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
