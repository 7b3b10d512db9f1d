package dev.cas.server;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import com.google.bytestream.ByteStreamGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * Applies the {@link AccessPolicy} to every gRPC call before it reaches a service: UNAUTHENTICATED without a valid
 * token, PERMISSION_DENIED for a read-only token on a write. The caller is put in the call's context, so
 * Capabilities can tell a client whether it may update the action cache.
 */
final class GrpcAuthInterceptor implements ServerInterceptor {
    static final Context.Key<AccessPolicy.Caller> CALLER = Context.key("cas-caller");
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** The calls that only read; any other call, including one added later, needs a token that may write. */
    private static final Set<String> READS = Set.of(
            CapabilitiesGrpc.getGetCapabilitiesMethod().getFullMethodName(),
            ContentAddressableStorageGrpc.getFindMissingBlobsMethod().getFullMethodName(),
            ContentAddressableStorageGrpc.getBatchReadBlobsMethod().getFullMethodName(),
            ContentAddressableStorageGrpc.getGetTreeMethod().getFullMethodName(),
            ActionCacheGrpc.getGetActionResultMethod().getFullMethodName(),
            ByteStreamGrpc.getReadMethod().getFullMethodName(),
            ByteStreamGrpc.getQueryWriteStatusMethod().getFullMethodName());

    private final AccessPolicy policy;

    GrpcAuthInterceptor(AccessPolicy policy) {
        this.policy = policy;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        AccessPolicy.Caller caller = policy.caller(headers.get(AUTHORIZATION));
        switch (AccessPolicy.decide(caller, !READS.contains(method))) {
            case UNAUTHENTICATED -> {
                call.close(Status.UNAUTHENTICATED.withDescription(caller == null ? "unknown bearer token"
                        : "this server needs a bearer token (authorization: Bearer <token>)"), new Metadata());
                return new ServerCall.Listener<>() { };
            }
            case PERMISSION_DENIED -> {
                call.close(Status.PERMISSION_DENIED.withDescription("token '" + caller.name()
                        + "' is read-only; " + method + " writes"), new Metadata());
                return new ServerCall.Listener<>() { };
            }
            default -> {
                return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
            }
        }
    }
}
