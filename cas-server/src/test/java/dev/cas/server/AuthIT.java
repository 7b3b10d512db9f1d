package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.QueryWriteStatusRequest;
import com.google.bytestream.ReadRequest;
import com.google.protobuf.ByteString;
import dev.cas.store.Digest;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Bearer tokens on both protocols, over real gRPC and HTTP on loopback: a read-write token writes, a read-only one
 * reads but is refused writes (PERMISSION_DENIED / 403), no or an unknown token is UNAUTHENTICATED / 401, anonymous
 * reads pass because this server switches them on, and no secret reaches the log.
 */
@ExtendWith(OutputCaptureExtension.class)
class AuthIT extends RunningServer {
    static final String WRITER = "writer-secret-0123456789";
    static final String READER = "reader-secret-0123456789";

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        storageAndPorts(registry);
        registry.add("cas.auth.anonymous-read", () -> true);
        registry.add("cas.auth.tokens[0].name", () -> "ci");
        registry.add("cas.auth.tokens[0].secret", () -> WRITER);
        registry.add("cas.auth.tokens[0].scope", () -> "read-write");
        registry.add("cas.auth.tokens[1].name", () -> "laptop");
        registry.add("cas.auth.tokens[1].secret", () -> READER);
    }

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void grpcWritesNeedAReadWriteToken() {
        byte[] blob = "built by ci".getBytes(StandardCharsets.UTF_8);
        BatchUpdateBlobsRequest update = BatchUpdateBlobsRequest.newBuilder()
                .addRequests(BatchUpdateBlobsRequest.Request.newBuilder().setDigest(proto(Digest.of(blob)))
                        .setData(ByteString.copyFrom(blob))).build();
        assertCode(() -> cas(null).batchUpdateBlobs(update), Status.Code.UNAUTHENTICATED);
        assertCode(() -> cas("not-a-known-token-at-all").batchUpdateBlobs(update), Status.Code.UNAUTHENTICATED);
        assertCode(() -> cas(READER).batchUpdateBlobs(update), Status.Code.PERMISSION_DENIED);
        assertThat(cas(WRITER).batchUpdateBlobs(update).getResponses(0).getStatus().getCode()).isZero();

        BatchReadBlobsRequest read = BatchReadBlobsRequest.newBuilder().addDigests(proto(Digest.of(blob))).build();
        assertThat(cas(READER).batchReadBlobs(read).getResponses(0).getData().toByteArray()).isEqualTo(blob);
        assertThat(cas(null).batchReadBlobs(read).getResponses(0).getData().toByteArray()).as("anonymous read")
                .isEqualTo(blob);
        assertCode(() -> cas("wrong").findMissingBlobs(FindMissingBlobsRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED);
    }

    @Test
    void capabilitiesTellEachCallerWhetherItMayUpdate() {
        assertThat(capabilities(WRITER).getCacheCapabilities().getActionCacheUpdateCapabilities().getUpdateEnabled())
                .isTrue();
        assertThat(capabilities(READER).getCacheCapabilities().getActionCacheUpdateCapabilities().getUpdateEnabled())
                .isFalse();
    }

    @Test
    void httpWritesNeedAReadWriteToken() throws Exception {
        String path = "/cache/ab/cdef0123";
        byte[] body = "ccache entry".getBytes(StandardCharsets.UTF_8);
        assertThat(send("PUT", path, body, null).statusCode()).isEqualTo(401);
        assertThat(send("PUT", path, body, "Bearer nope-nope-nope-nope").statusCode()).isEqualTo(401);
        assertThat(send("PUT", path, body, "Bearer " + READER).statusCode()).isEqualTo(403);
        assertThat(send("DELETE", path, null, "Bearer " + READER).statusCode()).isEqualTo(403);
        assertThat(send("GET", path, null, null).statusCode()).isEqualTo(404);
        assertThat(send("PUT", path, body, "Bearer " + WRITER).statusCode()).isEqualTo(201);
        String basic = "Basic " + Base64.getEncoder().encodeToString(("ccache:" + READER)
                .getBytes(StandardCharsets.UTF_8));
        assertThat(send("GET", path, null, basic).body()).as("ccache's user:password form").isEqualTo(body);
        assertThat(send("GET", path, null, null).body()).as("anonymous read").isEqualTo(body);
        assertThat(send("GET", "/actuator/health", null, null).statusCode()).as("probes stay open").isEqualTo(200);
    }

    /**
     * Every HTTP entry point, with no token, a wrong one, a read-only one and the writer's: the decision follows the
     * parsed cache key, so a path under {@code /actuator} (left open for probes) never reaches an entry. Before the
     * fix, {@code PUT /actuator/ac/<hash>} without a token wrote the entry every build reads at {@code /ac/<hash>}.
     */
    @Test
    void everyHttpEntryPointIsCheckedOnTheKeyItNames() throws Exception {
        byte[] body = "an object of the attacker's choosing".getBytes(StandardCharsets.UTF_8);
        String hash = Digest.of(body).hash();
        List<String> cachePaths = List.of("/ac/" + hash, "/cache/ac/" + hash, "/cas/" + hash, "/cache/cas/" + hash,
                "/cache/0123456789abcdef0123456789abcdef0", "/cache/ab/cdef0123456789", "/main/ac/" + hash);
        for (String path : cachePaths) {
            for (String method : List.of("GET", "HEAD", "PUT", "DELETE")) {
                boolean write = method.equals("PUT") || method.equals("DELETE");
                assertThat(send(method, path, write ? body : null, "Bearer wrong-token-wrong-token").statusCode())
                        .as("%s %s with a wrong token", method, path).isEqualTo(401);
                int anonymous = send(method, path, write ? body : null, null).statusCode();
                int reader = send(method, path, write ? body : null, "Bearer " + READER).statusCode();
                if (write) {
                    assertThat(anonymous).as("%s %s without a token", method, path).isEqualTo(401);
                    assertThat(reader).as("%s %s with a read-only token", method, path).isEqualTo(403);
                } else {
                    assertThat(anonymous).as("%s %s: anonymous reads are on here", method, path).isIn(200, 404);
                    assertThat(reader).as("%s %s with a read-only token", method, path).isIn(200, 404);
                }
            }
        }
        for (String path : List.of("/actuator/ac/" + hash, "/actuator/cas/" + hash, "/actuator/cache/ac/" + hash,
                "/actuator/ab/cdef0123456789", "/actuator/health/ac/" + hash)) {
            for (String authorization : Arrays.asList(null, "Bearer " + READER, "Bearer " + WRITER)) {
                assertThat(send("PUT", path, body, authorization).statusCode()).as("PUT %s", path)
                        .isBetween(400, 499);
            }
        }
        for (String path : cachePaths) {
            assertThat(send("GET", path, null, "Bearer " + WRITER).statusCode()).as("nothing was written at %s", path)
                    .isEqualTo(404);
        }
        assertThat(send("GET", "/actuator/health/liveness", null, null).statusCode()).as("probes stay open")
                .isEqualTo(200);
    }

    /** Every gRPC method: a wrong token is refused everywhere; without a token or read-only, only reads pass. */
    @Test
    void everyGrpcMethodIsChecked() {
        for (String token : Arrays.asList("wrong-token-wrong-token", null, READER)) {
            Metadata headers = new Metadata();
            if (token != null) {
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            }
            Channel authed = ClientInterceptors.intercept(channel,
                    MetadataUtils.newAttachHeadersInterceptor(headers));
            Status.Code refusedWrite = token == null || !token.equals(READER) ? Status.Code.UNAUTHENTICATED
                    : Status.Code.PERMISSION_DENIED;
            boolean wrong = token != null && token.startsWith("wrong");
            Map<String, Runnable> reads = Map.of(
                    "GetCapabilities", () -> CapabilitiesGrpc.newBlockingStub(authed)
                            .getCapabilities(GetCapabilitiesRequest.getDefaultInstance()),
                    "FindMissingBlobs", () -> ContentAddressableStorageGrpc.newBlockingStub(authed)
                            .findMissingBlobs(FindMissingBlobsRequest.getDefaultInstance()),
                    "BatchReadBlobs", () -> ContentAddressableStorageGrpc.newBlockingStub(authed)
                            .batchReadBlobs(BatchReadBlobsRequest.getDefaultInstance()),
                    "GetTree", () -> ContentAddressableStorageGrpc.newBlockingStub(authed)
                            .getTree(build.bazel.remote.execution.v2.GetTreeRequest.newBuilder()
                                    .setRootDigest(proto(Digest.of(new byte[] {1}))).build()).hasNext(),
                    "GetActionResult", () -> ActionCacheGrpc.newBlockingStub(authed).getActionResult(
                            GetActionResultRequest.newBuilder().setActionDigest(proto(Digest.of(new byte[] {2})))
                                    .build()),
                    "Read", () -> ByteStreamGrpc.newBlockingStub(authed).read(ReadRequest
                            .newBuilder().setResourceName("blobs/" + Digest.of(new byte[] {3}).hash() + "/1")
                            .build()).hasNext(),
                    "QueryWriteStatus", () -> ByteStreamGrpc.newBlockingStub(authed).queryWriteStatus(
                            QueryWriteStatusRequest.newBuilder().setResourceName(
                                    "uploads/u/blobs/" + Digest.of(new byte[] {4}).hash() + "/1").build()));
            Map<String, Runnable> writes = Map.of(
                    "BatchUpdateBlobs", () -> ContentAddressableStorageGrpc.newBlockingStub(authed)
                            .batchUpdateBlobs(BatchUpdateBlobsRequest.getDefaultInstance()),
                    "UpdateActionResult", () -> ActionCacheGrpc.newBlockingStub(authed).updateActionResult(
                            UpdateActionResultRequest.newBuilder().setActionDigest(proto(Digest.of(new byte[] {5})))
                                    .build()),
                    "Write", () -> ByteStreamUploads.write(authed, "uploads/u/blobs/" + Digest.of(new byte[] {6})
                            .hash() + "/1", new byte[] {6}, 1));
            reads.forEach((name, call) -> assertThat(codeOf(call)).as("%s with token %s", name, token)
                    .satisfies(code -> {
                        if (wrong) {
                            assertThat(code).isEqualTo(Status.Code.UNAUTHENTICATED);
                        } else {
                            assertThat(code).isNotIn(Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED);
                        }
                    }));
            writes.forEach((name, call) -> assertThat(codeOf(call)).as("%s with token %s", name, token)
                    .isEqualTo(refusedWrite));
        }
    }

    private static Status.Code codeOf(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void secretsNeverReachTheLog(CapturedOutput output) throws Exception {
        send("PUT", "/cache/x", new byte[] {1}, "Bearer " + READER);
        assertThatThrownBy(() -> cas(READER).batchUpdateBlobs(BatchUpdateBlobsRequest.getDefaultInstance()))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(output.getAll()).doesNotContain(READER).doesNotContain(WRITER);
        assertThat(new CasServerProperties.Token("t", WRITER, CasServerProperties.Scope.READ_WRITE).toString())
                .doesNotContain(WRITER);
    }

    private ContentAddressableStorageGrpc.ContentAddressableStorageBlockingStub cas(String token) {
        return ContentAddressableStorageGrpc.newBlockingStub(channel).withInterceptors(bearer(token));
    }

    private build.bazel.remote.execution.v2.ServerCapabilities capabilities(String token) {
        return CapabilitiesGrpc.newBlockingStub(channel).withInterceptors(bearer(token))
                .getCapabilities(GetCapabilitiesRequest.getDefaultInstance());
    }

    private static ClientInterceptor bearer(String token) {
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body, String authorization)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void assertCode(Runnable call, Status.Code code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).as(String.valueOf(e.getStatus())).isEqualTo(code));
    }

    private static build.bazel.remote.execution.v2.Digest proto(Digest digest) {
        return build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash())
                .setSizeBytes(digest.size()).build();
    }
}
