package dev.cas.server;

import java.nio.file.Path;
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
public record CasServerProperties(@DefaultValue Storage storage, @DefaultValue Grpc grpc) {

    /**
     * Where blobs live, how much of the disk they may take, and the largest single blob accepted (blobs stream
     * through in chunks, so this bounds disk use per blob, not memory).
     */
    public record Storage(@DefaultValue("/var/lib/cas") Path path, @DefaultValue("10GB") DataSize maxSize,
            @DefaultValue("4GB") DataSize maxBlobSize) {
    }

    /**
     * The gRPC listener. {@code maxMessageSize} bounds one inbound message (and so one batch); it is advertised to
     * clients as the largest batch they may send.
     */
    public record Grpc(@DefaultValue("9092") int port, @DefaultValue("4MB") DataSize maxMessageSize) {
    }

    public CasServerProperties {
        if (storage.maxSize().toBytes() <= 0) {
            throw new IllegalArgumentException("cas.storage.max-size must be positive, got " + storage.maxSize());
        }
        if (storage.maxBlobSize().toBytes() <= 0 || storage.maxBlobSize().toBytes() > storage.maxSize().toBytes()) {
            throw new IllegalArgumentException("cas.storage.max-blob-size must be positive and at most "
                    + "cas.storage.max-size, got " + storage.maxBlobSize());
        }
        if (grpc.maxMessageSize().toBytes() < 64 * 1024) {
            throw new IllegalArgumentException("cas.grpc.max-message-size must be at least 64KB, got "
                    + grpc.maxMessageSize());
        }
    }
}
