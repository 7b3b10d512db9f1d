package dev.cas.server;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The set-up the server's integration tests share: the whole server (Spring Boot on a random HTTP port, gRPC on a
 * free one) over real RocksDB in a directory of the test class's own, and a plaintext gRPC channel to it for each
 * test.
 * <p>
 * A subclass declares its own {@code @DynamicPropertySource} method that calls {@link #storageAndPorts} and adds
 * its settings. Each class's server is closed after the class ({@code @DirtiesContext}), before its directory is
 * removed: RocksDB may still be compacting there, and Spring's context cache must never hand one class's server,
 * whose storage was another class's deleted directory, to the next.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
abstract class RunningServer {
    @TempDir
    static Path storage;

    @Autowired
    GrpcServer server;

    @LocalServerPort
    int httpPort;

    ManagedChannel channel;

    /** The settings every server under test needs: its storage in the class's directory, gRPC on a free port. */
    static void storageAndPorts(DynamicPropertyRegistry registry) {
        registry.add("cas.storage.path", () -> storage.resolve("db").toString());
        registry.add("cas.grpc.port", () -> 0);
    }

    /** The channel each test gets; a subclass that needs other limits on it builds its own. */
    NettyChannelBuilder channelBuilder() {
        return NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext();
    }

    @BeforeEach
    void connect() {
        channel = channelBuilder().build();
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
