package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * TLS on both listeners from one Spring SSL bundle (a PEM certificate made by openssl for the test): gRPC and HTTPS
 * clients that trust it connect; a plaintext gRPC client is refused.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TlsIT {
    static Path dir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        dir = Files.createTempDirectory("cas-tls");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
                .redirectErrorStream(true).start();
        String log = new String(openssl.getInputStream().readAllBytes());
        assertThat(openssl.waitFor()).as(log).isZero();
        registry.add("cas.storage.path", () -> dir.resolve("db").toString());
        registry.add("cas.grpc.port", () -> 0);
        registry.add("spring.ssl.bundle.pem.server.keystore.certificate", () -> "file:" + dir.resolve("cert.pem"));
        registry.add("spring.ssl.bundle.pem.server.keystore.private-key", () -> "file:" + dir.resolve("key.pem"));
        registry.add("cas.grpc.ssl-bundle", () -> "server");
        registry.add("server.ssl.bundle", () -> "server");
    }

    @Autowired
    GrpcServer server;

    @LocalServerPort
    int httpsPort;

    @Test
    void grpcServesTlsToClientsThatTrustTheCertificate() throws Exception {
        ManagedChannel secure = NettyChannelBuilder.forAddress("localhost", server.port())
                .sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("cert.pem").toFile()).build())
                .build();
        ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            assertThat(CapabilitiesGrpc.newBlockingStub(secure).getCapabilities(
                    GetCapabilitiesRequest.getDefaultInstance()).getCacheCapabilities().getDigestFunctionsCount())
                    .isEqualTo(1);
            assertThatThrownBy(() -> CapabilitiesGrpc.newBlockingStub(plain).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getCapabilities(GetCapabilitiesRequest.getDefaultInstance()))
                    .isInstanceOf(StatusRuntimeException.class);
        } finally {
            secure.shutdownNow();
            plain.shutdownNow();
        }
    }

    @Test
    void httpServesTlsFromTheSameBundle() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream cert = Files.newInputStream(dir.resolve("cert.pem"))) {
            trust.setCertificateEntry("cas", CertificateFactory.getInstance("X.509").generateCertificate(cert));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, factory.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + httpsPort + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
    }
}
