package io.dspysuite.gateway.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.Test;

class UuidsTest {

    @Test
    void v7IsTimeOrderedVersion7() {
        UUID first = Uuids.v7();
        UUID second = Uuids.v7();
        assertThat(first.version()).isEqualTo(7);
        assertThat(first.variant()).isEqualTo(2);
        assertThat(first.getMostSignificantBits() >>> 16).isLessThanOrEqualTo(second.getMostSignificantBits() >>> 16);
    }

    @Test
    void parseAcceptsOnlyUuids() {
        UUID id = UUID.randomUUID();
        assertThat(Uuids.parse(id.toString())).contains(id);
        assertThat(Uuids.parse("not-a-uuid")).isEmpty();
        assertThat(Uuids.parse("1-1-1-1-1")).isEmpty();
        assertThat(Uuids.parse(null)).isEmpty();
    }
}
