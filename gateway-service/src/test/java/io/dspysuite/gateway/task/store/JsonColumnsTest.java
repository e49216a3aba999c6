package io.dspysuite.gateway.task.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

class JsonColumnsTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final JsonColumns columns = new JsonColumns(mapper);

    @Test
    void replacesNulCharactersWhichJsonbCannotStore() throws Exception {
        ObjectNode node = mapper.createObjectNode().put("a", "x\u0000y");
        String written = columns.write(node);
        assertThat(written).doesNotContain("\\u0000");
        assertThat(mapper.readTree(written).get("a").asText()).isEqualTo("x\uFFFDy");
    }

    @Test
    void leavesAnEscapedBackslashFollowedByU0000Alone() throws Exception {
        ObjectNode node = mapper.createObjectNode().put("a", "\\u0000 is how JSON writes NUL").put("b", "\\\u0000");
        String written = columns.write(node);
        assertThat(mapper.readTree(written).get("a").asText()).isEqualTo("\\u0000 is how JSON writes NUL");
        assertThat(mapper.readTree(written).get("b").asText()).isEqualTo("\\\uFFFD");
    }
}
