package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.StoreException;
import io.grpc.Status;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The one translation of failures: what a gRPC client and an HTTP client are told for each kind. */
class FailuresTest {

    private static Status status(Throwable failure) {
        return Failures.status("Call", failure);
    }

    @Test
    void aWriteThatDoesNotMatchItsDigestIsTheClientsFault() {
        Status status = status(StoreException.rejected("blob does not match its digest"));
        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).isEqualTo("Call: blob does not match its digest");
        assertThat(Failures.http(status)).isEqualTo(400);
    }

    @Test
    void aFullDirectoryIsExhaustionAnd507ButATooLargeBlobIs413() {
        Status full = status(StoreException.full("the cache directory holds 5 bytes", null));
        assertThat(full.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(Failures.http(full)).isEqualTo(507);
        Status tooLarge = status(Status.RESOURCE_EXHAUSTED.withDescription("blob too large").asRuntimeException());
        assertThat(tooLarge.getDescription()).isEqualTo("blob too large");
        assertThat(Failures.http(tooLarge)).isEqualTo(413);
    }

    @Test
    void aDamagedOrWronglySizedBlobIsAMissEvenWhenAStreamCarriesIt() {
        IOException streamed = StoreException.corrupt("chunk 3 of 4 is missing", null).asIOException();
        assertThat(status(streamed).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status(streamed).getDescription()).isEqualTo("Call: chunk 3 of 4 is missing");
        assertThat(Failures.http(status(streamed))).isEqualTo(404);
        assertThat(status(StoreException.wrongSize("holds 3 bytes")).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void aFailingDiskIsUnavailableAndAnythingElseInternal() {
        Status disk = status(StoreException.failed("RocksDB read failed", new IOException("EIO")));
        assertThat(disk.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(Failures.http(disk)).isEqualTo(503);
        Status bug = status(new NullPointerException("oops"));
        assertThat(bug.getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(bug.getDescription()).contains("oops");
        assertThat(Failures.http(bug)).isEqualTo(500);
    }

    @Test
    void aStatusRaisedByAHandlerGoesOutAsItIs() {
        Status raised = Status.OUT_OF_RANGE.withDescription("read_offset past the end");
        assertThat(status(raised.asRuntimeException())).isEqualTo(raised);
    }
}
