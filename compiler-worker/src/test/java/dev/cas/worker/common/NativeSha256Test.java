package dev.cas.worker.common;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.cas.store.Digest;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NativeSha256Test {
    @Test
    void onceLoadedEveryDigestIsNativeAndAgreesWithTheJdks() throws Exception {
        assertThat(NativeSha256.load()).as("the native library loads on x86-64 Linux").isTrue();
        assertThat(Digest.sha256().getProvider()).isSameAs(AmazonCorrettoCryptoProvider.INSTANCE);

        assertThat(Digest.of("abc").hash())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        Random random = new Random(17);
        for (int size : new int[] {0, 1, 55, 56, 64, 4096, 9 << 20}) { // padding edges, a page, a sqlite3.c
            byte[] content = new byte[size];
            random.nextBytes(content);
            String jdk = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256", "SUN").digest(content));
            assertThat(Digest.of(content).hash()).as("%d bytes", size).isEqualTo(jdk);
            assertThat(Digest.of(content).matches(content)).isTrue();
        }
    }
}
