package dev.cas.server;

import dev.cas.store.StorageLimits;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The server's settings ({@code cas.*} in application.yaml; {@code CAS_STORAGE_PATH} and the like from the
 * environment), checked at start-up.
 */
@Validated
@ConfigurationProperties("cas")
public record CasServerProperties(@DefaultValue Storage storage, @DefaultValue Grpc grpc, @DefaultValue Auth auth) {

    /**
     * Where blobs live, how much of the disk the whole data directory may take (RocksDB's logs and temporaries
     * included: a volume of {@code maxSize} does not fill up), and the largest single blob accepted (blobs stream
     * through in chunks, so this bounds disk use per blob, not memory). {@code memoryCacheSize} is the heap kept for
     * recently read small blobs (0 turns it off).
     */
    public record Storage(Path path, @DefaultValue("10GB") DataSize maxSize,
            @DefaultValue("4GB") DataSize maxBlobSize, @DefaultValue("64MB") DataSize memoryCacheSize) {
        /** The path's one default is application.yaml's ({@code ~/.cache/cas-server}). */
        public Storage {
            if (path == null) {
                throw new IllegalArgumentException("cas.storage.path (CAS_STORAGE_PATH) is not set");
            }
        }

        /** How {@code maxSize} divides between the values and RocksDB's overheads. */
        public StorageLimits limits() {
            return StorageLimits.wholeDirectory(maxSize.toBytes());
        }
    }

    /**
     * The gRPC listener. {@code maxMessageSize} bounds one inbound message (and so one batch); it is advertised to
     * clients as the largest batch they may send. {@code sslBundle} names a Spring SSL bundle
     * ({@code spring.ssl.bundle.*}) to serve TLS with; unset means plaintext. {@code eventLoops} is the number of
     * transport threads, which also serve the short reads; 0 means one per available processor.
     */
    public record Grpc(@DefaultValue("9092") int port, @DefaultValue("4MB") DataSize maxMessageSize,
            String sslBundle, @DefaultValue("0") int eventLoops) {
        public Grpc {
            if (eventLoops < 0) {
                throw new IllegalArgumentException("cas.grpc.event-loops must be 0 (one per processor) or more, got "
                        + eventLoops);
            }
        }

        /** The transport threads to start. */
        public int eventLoopThreads() {
            return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * Who may read and write. With no tokens configured the server is open to all (and says so at start); with
     * tokens, every call needs one ({@code Authorization: Bearer <secret>}), unless {@code anonymousRead} lets
     * callers without a token read.
     */
    public record Auth(@DefaultValue("false") boolean anonymousRead, @DefaultValue List<Token> tokens) {
        public Auth {
            tokens = List.copyOf(tokens);
            Set<String> secrets = new HashSet<>();
            for (Token token : tokens) {
                if (!secrets.add(token.secret())) {
                    throw new IllegalArgumentException("cas.auth.tokens: token '" + token.name()
                            + "' has the same secret as another token");
                }
            }
        }
    }

    /** A bearer token: a name (for logs and metrics), its secret (never logged) and what it may do. */
    public record Token(String name, String secret, @DefaultValue("READ_ONLY") Scope scope) {
        public Token {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("cas.auth.tokens: every token needs a name");
            }
            if (secret == null || secret.length() < 16) {
                throw new IllegalArgumentException("cas.auth.tokens: the secret of token '" + name
                        + "' must have at least 16 characters");
            }
        }

        @Override
        public String toString() {
            return "Token[name=" + name + ", secret=******, scope=" + scope + "]";
        }
    }

    /** What a token allows. */
    public enum Scope {
        READ_ONLY, READ_WRITE
    }

    public CasServerProperties {
        if (storage.maxSize().toBytes() < StorageLimits.MIN_DIRECTORY_BYTES) {
            throw new IllegalArgumentException("cas.storage.max-size bounds the whole data directory and must be at "
                    + "least " + StorageLimits.MIN_DIRECTORY_BYTES + " bytes, got " + storage.maxSize());
        }
        long valueBytes = storage.limits().dataBytes();
        if (storage.maxBlobSize().toBytes() <= 0 || storage.maxBlobSize().toBytes() > valueBytes) {
            throw new IllegalArgumentException("cas.storage.max-blob-size must be positive and at most what "
                    + "cas.storage.max-size leaves for values (" + valueBytes + " bytes), got "
                    + storage.maxBlobSize());
        }
        if (storage.memoryCacheSize().toBytes() < 0) {
            throw new IllegalArgumentException("cas.storage.memory-cache-size must not be negative, got "
                    + storage.memoryCacheSize());
        }
        if (grpc.maxMessageSize().toBytes() < 64 * 1024) {
            throw new IllegalArgumentException("cas.grpc.max-message-size must be at least 64KB, got "
                    + grpc.maxMessageSize());
        }
    }
}
