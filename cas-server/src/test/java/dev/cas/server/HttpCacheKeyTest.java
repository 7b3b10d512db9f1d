package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The HTTP cache's path parse: what is a key, what is Actuator's, what is refused (no server needed). */
class HttpCacheKeyTest {
    private static final String HASH = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    @Test
    void casAndActionPathsUnderAnyPrefix() {
        assertThat(HttpCacheKey.of("/cas/" + HASH).cas()).isTrue();
        assertThat(HttpCacheKey.of("/team/cas/" + HASH).digest().hash()).isEqualTo(HASH);
        HttpCacheKey action = HttpCacheKey.of("/ac/" + HASH);
        assertThat(action.actionResult()).isTrue();
        assertThat(HttpCacheKey.of("/main/ac/" + HASH)).as("any prefix reaches the same action entry")
                .isEqualTo(action);
        assertThat(HttpCacheKey.of("/ccache/ab/cdef0123").cas()).isFalse();
    }

    @Test
    void nothingUnderActuatorIsAKey() {
        assertThat(HttpCacheKey.of("/actuator/ac/" + HASH)).isNull();
        assertThat(HttpCacheKey.actuator("/actuator/health")).isTrue();
        assertThat(HttpCacheKey.actuator("/actuator")).isTrue();
        assertThat(HttpCacheKey.actuator("/actuatorx/ac/" + HASH)).isFalse();
        assertThat(HttpCacheKey.of("/actuatorx/ac/" + HASH)).isNotNull();
    }

    @Test
    void oddSegmentsAreRefused() {
        for (String bad : new String[] {"/", "", "/cas/XYZ", "/cas/" + HASH.substring(1), "/a//b", "/.hidden",
                "/-dash", "/a/..", "/a b", "/a%2fb", "/" + "x".repeat(256)}) {
            assertThat(HttpCacheKey.of(bad)).as(bad).isNull();
        }
        assertThat(HttpCacheKey.plainSegment("a.b-c_D9")).isTrue();
        assertThat(HttpCacheKey.plainSegment("x".repeat(255))).isTrue();
    }
}
