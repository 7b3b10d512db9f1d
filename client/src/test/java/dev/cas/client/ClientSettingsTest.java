package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientSettingsTest {
    @Test
    void sizesTakeBinarySuffixes() {
        assertThat(ClientSettings.parseSize("5G")).isEqualTo(5L << 30);
        assertThat(ClientSettings.parseSize("500M")).isEqualTo(500L << 20);
        assertThat(ClientSettings.parseSize("64KiB")).isEqualTo(64L << 10);
        assertThat(ClientSettings.parseSize("1048576")).isEqualTo(1L << 20);
    }

    @Test
    void badSizesAreRefusedWithTheVariableName() {
        assertThatThrownBy(() -> ClientSettings.parseSize("lots"))
                .hasMessageContaining("CAS_CACHE_MAX_SIZE").hasMessageContaining("'lots'");
        assertThatThrownBy(() -> ClientSettings.parseSize("-5G")).hasMessageContaining("positive");
    }

    @Test
    void defaultsAndOverrides() {
        ClientSettings defaults = ClientSettings.fromEnvironment(Map.of());
        assertThat(defaults.cacheDirectory()).isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "cas"));
        assertThat(defaults.maxSizeBytes()).isEqualTo(5L << 30);
        assertThat(defaults.disabled()).isFalse();

        ClientSettings custom = ClientSettings.fromEnvironment(Map.of("CAS_CACHE_DIR", "/tmp/c",
                "CAS_CACHE_MAX_SIZE", "1G", "CAS_WORKER_IDLE_SECONDS", "5", "CAS_DISABLE", "1"));
        assertThat(custom.cacheDirectory()).isEqualTo(Path.of("/tmp/c"));
        assertThat(custom.maxSizeBytes()).isEqualTo(1L << 30);
        assertThat(custom.idleSeconds()).isEqualTo(5);
        assertThat(custom.disabled()).isTrue();
    }
}
