package dev.cas.worker.direct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SharedRecordsTest {
    private static IncludeManifest record(String unit, String content) {
        return new IncludeManifest(Digest.of(unit), List.of(new IncludeManifest.FileHash("main.c",
                Digest.of(content).hash())), ("main.o: main.c " + unit + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static List<Digest> units(SharedRecords records) {
        return records.records().stream().map(IncludeManifest::unitKey).toList();
    }

    @Test
    void theNewestComesFirstReplacesItsOwnUnitAndTheOldestGoBeyondTheCap() {
        SharedRecords records = SharedRecords.NONE.with(record("a", "1")).with(record("b", "2"));
        assertThat(units(records)).containsExactly(Digest.of("b"), Digest.of("a"));
        assertThat(units(records.with(record("a", "1")))).containsExactly(Digest.of("a"), Digest.of("b"));

        SharedRecords many = SharedRecords.NONE;
        for (int i = 0; i < SharedRecords.MAX_RECORDS + 3; i++) {
            many = many.with(record("u" + i, "c" + i));
        }
        assertThat(units(many)).containsExactlyElementsOf(IntStream.iterate(SharedRecords.MAX_RECORDS + 2, i -> i - 1)
                .limit(SharedRecords.MAX_RECORDS).mapToObj(i -> Digest.of("u" + i)).toList());
    }

    @Test
    void recordsRoundTripAndASingleRecordOfAnOlderWorkerReadsAsOne() {
        SharedRecords records = SharedRecords.NONE.with(record("a", "1")).with(record("b", "2"));
        SharedRecords decoded = SharedRecords.decode(records.encode()).orElseThrow();
        assertThat(units(decoded)).containsExactly(Digest.of("b"), Digest.of("a"));
        assertThat(decoded.records().get(1).files()).isEqualTo(record("a", "1").files());
        assertThat(decoded.records().get(1).dependencyFile()).isEqualTo(record("a", "1").dependencyFile());

        assertThat(SharedRecords.decode(record("old", "x").encode()).map(SharedRecordsTest::units))
                .contains(List.of(Digest.of("old")));
    }

    @Test
    void aDamagedListIsNoRecords() {
        byte[] stored = SharedRecords.NONE.with(record("a", "1")).encode();
        stored[stored.length - 3] ^= 1;
        assertThat(SharedRecords.decode(stored)).isEmpty();
        assertThat(SharedRecords.decode("not a record".getBytes(StandardCharsets.UTF_8))).isEmpty();
    }
}
