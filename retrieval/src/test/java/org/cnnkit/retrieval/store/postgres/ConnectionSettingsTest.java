package org.cnnkit.retrieval.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionSettingsTest {

    private static final String URL = "jdbc:postgresql://db.example.com:5432/images?user=cnnkit";

    private static StoreOptions options(String... nameValues) {
        StoreOptions.Builder builder = StoreOptions.builder();
        for (int i = 0; i < nameValues.length; i += 2) {
            builder.addParameter(nameValues[i], nameValues[i + 1]);
        }
        return builder.build();
    }

    @Test
    void passwordComesFromPgpasswordAndNeverShows() {
        ConnectionSettings settings = ConnectionSettings.of(URL, options(), Map.of("PGPASSWORD", "s3cret!"));

        assertThat(settings.driverProperties().getProperty("password")).isEqualTo("s3cret!");
        assertThat(settings.toString()).doesNotContain("s3cret").contains("db.example.com");
        assertThat(settings.maskedUrl()).isEqualTo(URL);
        assertThat(settings.scrub("FATAL: auth failed for s3cret!")).isEqualTo("FATAL: auth failed for ***");
    }

    @Test
    void passwordComesFromANamedVariable() {
        ConnectionSettings settings = ConnectionSettings.of(URL, options("password-env", "CATALOGUE_PW"),
                Map.of("CATALOGUE_PW", "from-variable", "PGPASSWORD", "not-this-one"));

        assertThat(settings.driverProperties().getProperty("password")).isEqualTo("from-variable");
    }

    @Test
    void aNamedVariableThatIsNotSetIsAnError() {
        assertThatThrownBy(() -> ConnectionSettings.of(URL, options("password-env", "MISSING_PW"), Map.of()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("MISSING_PW").hasMessageContaining("not set");
    }

    @Test
    void passwordComesFromAFileWithoutItsLineEnd(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pw.txt");
        Files.writeString(file, "from file\r\n");

        ConnectionSettings settings = ConnectionSettings.of(URL, options("password-file", file.toString()),
                Map.of("PGPASSWORD", "not-this-one"));

        assertThat(settings.driverProperties().getProperty("password")).isEqualTo("from file");
        assertThat(settings.hasPassword()).isTrue();
    }

    @Test
    void aMissingPasswordFileIsNamed(@TempDir Path dir) {
        Path file = dir.resolve("absent.txt");

        assertThatThrownBy(() -> ConnectionSettings.of(URL, options("password-file", file.toString()), Map.of()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("password-file");
    }

    @Test
    void noPasswordAnywhereMeansNone() {
        ConnectionSettings settings = ConnectionSettings.of(URL, options(), Map.of());

        assertThat(settings.hasPassword()).isFalse();
        assertThat(settings.driverProperties().getProperty("password")).isNull();
        assertThat(settings.driverProperties().getProperty("ApplicationName")).isEqualTo("cnnkit");
    }

    @Test
    void aPasswordInTheUrlIsRefusedWithoutRepeatingIt() {
        assertThatThrownBy(() -> ConnectionSettings.of(URL + "&password=hunter2", options(), Map.of()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("PGPASSWORD")
                .hasMessageContaining("password=***").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ConnectionSettings.of("jdbc:postgresql://db/x?sslpassword=hunter2", options(),
                Map.of())).isInstanceOf(CnnkitException.class).hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ConnectionSettings.of("jdbc:postgresql://cnnkit:hunter2@db:5432/x", options(),
                Map.of())).isInstanceOf(CnnkitException.class).hasMessageNotContaining("hunter2");
    }

    @Test
    void aLocationThatIsNotAPostgresJdbcUrlIsRefused() {
        assertThatThrownBy(() -> ConnectionSettings.of("db.example.com:5432/images", options(), Map.of()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("jdbc:postgresql://");
    }

    @Test
    void masksEveryPasswordParameter() {
        assertThat(ConnectionSettings.mask("jdbc:postgresql://h/d?user=u&password=p1&sslpassword=p2&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/d?user=u&password=***&sslpassword=***&ssl=true");
        assertThat(ConnectionSettings.mask("jdbc:postgresql://u:p1@h:5432/d")).isEqualTo("jdbc:postgresql://u:***@h:5432/d");
    }
}
