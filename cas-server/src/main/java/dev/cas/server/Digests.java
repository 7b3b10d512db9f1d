package dev.cas.server;

import build.bazel.remote.execution.v2.DigestFunction;
import dev.cas.store.Digest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Converts between the wire's digests and the store's, rejecting malformed ones with INVALID_ARGUMENT. */
final class Digests {
    private Digests() {
    }

    static Digest fromProto(build.bazel.remote.execution.v2.Digest digest) {
        return parse(digest.getHash(), digest.getSizeBytes());
    }

    static Digest parse(String hash, long size) {
        try {
            return new Digest(hash, size);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    static build.bazel.remote.execution.v2.Digest toProto(Digest digest) {
        return build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash())
                .setSizeBytes(digest.size()).build();
    }

    /** Only SHA-256 is served; UNKNOWN means the client relies on the default. */
    static void requireSha256(DigestFunction.Value function) {
        if (function != DigestFunction.Value.UNKNOWN && function != DigestFunction.Value.SHA256) {
            throw invalid("digest function " + function + " is not supported; this server uses SHA256");
        }
    }

    static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
