package dev.cas.worker.remote;

import java.time.Duration;

/**
 * Remembers that the server just failed, so the rest of the build does not wait on it again: for {@code retryAfter}
 * every caller skips the server at once. Only the caller that started an outage is told so (one warning per build).
 */
final class Outage {
    private final long retryNanos;
    private long endsAt;
    private boolean active;

    Outage(Duration retryAfter) {
        this.retryNanos = retryAfter.toNanos();
    }

    synchronized boolean ongoing() {
        if (active && System.nanoTime() - endsAt >= 0) {
            active = false;
        }
        return active;
    }

    /** Starts an outage; false when one was already on (someone else has warned). */
    synchronized boolean begin() {
        if (ongoing()) {
            return false;
        }
        active = true;
        endsAt = System.nanoTime() + retryNanos;
        return true;
    }
}
