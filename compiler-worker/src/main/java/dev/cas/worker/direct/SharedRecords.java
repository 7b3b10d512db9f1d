package dev.cas.worker.direct;

import dev.cas.worker.cache.SealedText;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The direct-mode records shared under one command's key, newest first, at most {@link #MAX_RECORDS}: as ccache keeps
 * several results in one manifest, so that the states a checkout moves between — branches built in turn, a file edited
 * and restored — each find their own record instead of replacing each other's. Stored with a checksum of its own
 * text; a single record as older workers shared it reads as a list of one.
 */
record SharedRecords(List<IncludeManifest> records) {
    static final int MAX_RECORDS = 8;
    private static final String HEADER = "cas-shared-records 1";

    static final SharedRecords NONE = new SharedRecords(List.of());

    /** These records with {@code newest} first, any other record of the same unit key dropped, the oldest beyond the cap. */
    SharedRecords with(IncludeManifest newest) {
        List<IncludeManifest> kept = new ArrayList<>(List.of(newest));
        for (IncludeManifest record : records) {
            if (kept.size() < MAX_RECORDS && !record.unitKey().equals(newest.unitKey())) {
                kept.add(record);
            }
        }
        return new SharedRecords(List.copyOf(kept));
    }

    byte[] encode() {
        StringBuilder body = new StringBuilder();
        for (IncludeManifest record : records) {
            body.append(Base64.getEncoder().encodeToString(record.encode())).append('\n');
        }
        return SealedText.seal(HEADER, body.toString());
    }

    /** The records in {@code stored}; empty when it is neither a list nor a single record, or damaged. */
    static Optional<SharedRecords> decode(byte[] stored) {
        Optional<String> body = SealedText.open(stored, HEADER);
        if (body.isEmpty()) {
            return IncludeManifest.decode(stored).map(single -> new SharedRecords(List.of(single)));
        }
        List<IncludeManifest> records = new ArrayList<>();
        try {
            for (String line : body.get().split("\n")) {
                if (!line.isEmpty()) {
                    Optional<IncludeManifest> record = IncludeManifest.decode(Base64.getDecoder().decode(line));
                    if (record.isEmpty()) {
                        return Optional.empty();
                    }
                    records.add(record.get());
                }
            }
        } catch (IllegalArgumentException malformed) {
            return Optional.empty();
        }
        return Optional.of(new SharedRecords(List.copyOf(records)));
    }
}
