package io.dspysuite.gateway.json;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

class StructsTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void roundTripsJsonThroughStruct() throws Exception {
        ObjectNode json = (ObjectNode) mapper.readTree("""
                {"question":"Why?","n":3,"ratio":0.25,"ok":true,"none":null,"list":[1,"a",{"x":[]}],"obj":{"k":"v"}}""");

        ObjectNode back = Structs.toJson(Structs.toStruct(json));

        // Same JSON text (number node classes differ: int vs long).
        assertThat(back.toString()).isEqualTo(json.toString());
        assertThat(back.get("n").isIntegralNumber()).isTrue();
    }

    @Test
    void keepsLargeAndFractionalNumbersAsDoubles() {
        ObjectNode json = mapper.createObjectNode().put("big", 1e300).put("frac", 1.5);
        ObjectNode back = Structs.toJson(Structs.toStruct(json));
        assertThat(back.get("big").isDouble()).isTrue();
        assertThat(back.get("frac").asDouble()).isEqualTo(1.5);
    }
}
