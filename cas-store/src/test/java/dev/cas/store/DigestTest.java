package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.security.Provider;
import java.security.Security;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DigestTest {
    @Test
    void hashesToTheWellKnownValue() {
        assertThat(Digest.of("abc").hash())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(Digest.EMPTY.hash()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void aPreferredProviderServesOnlyWhenItAgreesWithTheJdkOnAKnownInput() {
        Provider zeros = new Provider("ZeroSha256", "1", "a SHA-256 that answers zeros") {
            {
                putService(new Service(this, "MessageDigest", "SHA-256", "zeros", null, null) {
                    @Override
                    public Object newInstance(Object parameter) {
                        return new ZerosSpi();
                    }
                });
            }
        };
        assertThat(Digest.prefer(zeros)).isFalse();
        assertThat(Digest.sha256().getProvider()).isNotSameAs(zeros);
        assertThat(Digest.of("abc").hash())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

        Provider jdk = Security.getProvider("SUN");
        assertThat(Digest.prefer(jdk)).isTrue();
        assertThat(Digest.sha256().getProvider()).isSameAs(jdk);
        assertThat(Digest.of("abc").hash())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    /** The fault a real provider cannot be made to show: wrong digests. */
    private static final class ZerosSpi extends MessageDigestSpi {
        @Override
        protected void engineUpdate(byte input) {
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int length) {
        }

        @Override
        protected byte[] engineDigest() {
            return new byte[32];
        }

        @Override
        protected void engineReset() {
        }
    }

    @Test
    void hashMatchesOnlyTheSameContent() {
        byte[] content = new byte[4096];
        new Random(7).nextBytes(content);
        Digest digest = Digest.of(content);
        assertThat(digest.hashMatches(content)).isTrue();
        assertThat(digest.matches(content)).isTrue();
        for (int bit : new int[] {0, 7, 4095 * 8 + 3}) {
            byte[] damaged = content.clone();
            damaged[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(digest.hashMatches(damaged)).isFalse();
        }
        byte[] raw = HexFormat.of().parseHex(digest.hash());
        for (int i : new int[] {0, 31}) { // first and last hex pairs of the name are compared too
            byte[] other = raw.clone();
            other[i] ^= 1;
            assertThat(new Digest(HexFormat.of().formatHex(other), content.length).hashMatches(content)).isFalse();
        }
        assertThat(new Digest(digest.hash(), 3).matches(content)).as("the size is part of a match").isFalse();
        assertThat(new Digest(digest.hash(), 3).hashMatches(content)).isTrue();
    }

    @Test
    void refusesWhatIsNotALowerCaseSha256() {
        assertThatThrownBy(() -> new Digest("ABC", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Digest(Digest.of("x").hash().toUpperCase(), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Digest(Digest.of("x").hash(), -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
