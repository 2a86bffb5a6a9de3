package org.cnnkit.retrieval.store.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.StoreOptions;

/**
 * How to connect to the server of a PostgreSQL store: the JDBC URL of the spec (which must not hold a password) and
 * the password, taken from a file ({@code password-file}), a named environment variable ({@code password-env}) or
 * {@code PGPASSWORD}, in that order. The password never appears in {@link #toString()}, in {@link #maskedUrl()} or in
 * a message: {@link #scrub(String)} removes it from any text before it is shown.
 */
final class ConnectionSettings {

    /** The environment variable read when neither {@code password-file} nor {@code password-env} is given. */
    static final String DEFAULT_PASSWORD_VARIABLE = "PGPASSWORD";

    private static final String PREFIX = "jdbc:postgresql:";
    private static final Pattern PASSWORD_PARAMETER =
            Pattern.compile("([?&;][^=&;]*password[^=&;]*=)([^&;]*)", Pattern.CASE_INSENSITIVE);
    private static final Pattern USER_INFO = Pattern.compile("^(jdbc:postgresql://[^/@?]*?:)([^/@?]*)@");

    private final String url;
    private final String password;

    private ConnectionSettings(String url, String password) {
        this.url = url;
        this.password = password;
    }

    /**
     * Reads the settings from a spec's location and the store options.
     *
     * @param location the JDBC URL, such as {@code jdbc:postgresql://db:5432/images?user=cnnkit}
     * @param options the options with {@code password-file} or {@code password-env}, if any
     * @param environment the process environment
     * @return the settings
     * @throws CnnkitException if the location is not a PostgreSQL JDBC URL, holds a password, the password file
     *     cannot be read or the named variable is not set
     */
    static ConnectionSettings of(String location, StoreOptions options, Map<String, String> environment) {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(environment, "environment");
        String url = location.trim();
        if (!url.startsWith(PREFIX)) {
            throw new CnnkitException("the postgres store spec takes a JDBC URL, such as "
                    + "postgres:jdbc:postgresql://localhost:5432/images?user=cnnkit; got postgres:" + mask(url));
        }
        if (PASSWORD_PARAMETER.matcher(url).find() || USER_INFO.matcher(url).find()) {
            throw new CnnkitException("the postgres store spec postgres:" + mask(url) + " holds a password; a "
                    + "password never goes on the command line: set PGPASSWORD, or name a variable with the "
                    + "parameter password-env=NAME, or a file with password-file=PATH");
        }
        return new ConnectionSettings(url, password(options, environment).orElse(null));
    }

    private static Optional<String> password(StoreOptions options, Map<String, String> environment) {
        Optional<String> file = options.parameter("password-file");
        Optional<String> variable = options.parameter("password-env");
        if (file.isPresent() && variable.isPresent()) {
            throw new CnnkitException("the postgres store takes password-file or password-env, not both");
        }
        if (file.isPresent()) {
            Path path = Path.of(file.get());
            try {
                String text = Files.readString(path, StandardCharsets.UTF_8);
                return Optional.of(stripLineEnd(text));
            } catch (IOException e) {
                throw new CnnkitException("cannot read the password file " + path + " (password-file): "
                        + e.getClass().getSimpleName() + " " + e.getMessage(), e);
            }
        }
        if (variable.isPresent()) {
            String value = environment.get(variable.get());
            if (value == null) {
                throw new CnnkitException("the environment variable " + variable.get() + " named by password-env "
                        + "is not set");
            }
            return Optional.of(value);
        }
        return Optional.ofNullable(environment.get(DEFAULT_PASSWORD_VARIABLE));
    }

    private static String stripLineEnd(String text) {
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
            end--;
        }
        return text.substring(0, end);
    }

    /**
     * Returns a URL with every password parameter and user-info password replaced by {@code ***}.
     *
     * @param url a JDBC URL
     * @return the masked URL
     */
    static String mask(String url) {
        String masked = PASSWORD_PARAMETER.matcher(url).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "***"));
        return USER_INFO.matcher(masked).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "***@"));
    }

    /** Returns the JDBC URL (it holds no password). */
    String url() {
        return url;
    }

    /** Returns the URL as it may be shown. */
    String maskedUrl() {
        return mask(url);
    }

    /** Returns whether a password was found (in a file or the environment). */
    boolean hasPassword() {
        return password != null;
    }

    /**
     * Returns the driver properties: the password when there is one, and the application name.
     *
     * @return new properties
     */
    Properties driverProperties() {
        Properties properties = new Properties();
        if (password != null) {
            properties.setProperty("password", password);
        }
        if (!url.toLowerCase(Locale.ROOT).contains("applicationname=")) {
            properties.setProperty("ApplicationName", "cnnkit");
        }
        return properties;
    }

    /**
     * Removes the password from a text (a driver's message) before it is shown or logged.
     *
     * @param text the text, or null
     * @return the text with every occurrence of the password replaced by {@code ***}
     */
    String scrub(String text) {
        if (text == null || password == null || password.isEmpty()) {
            return text;
        }
        return text.replace(password, "***");
    }

    /** Returns the masked URL and where the password came from, never the password. */
    @Override
    public String toString() {
        return maskedUrl() + (password != null ? " (with a password)" : "");
    }
}
