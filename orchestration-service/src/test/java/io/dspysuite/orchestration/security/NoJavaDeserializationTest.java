package io.dspysuite.orchestration.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The Java side of "never pickle": no code of this service deserialises Java objects from bytes it receives or stores
 * (ObjectInputStream and its relatives, XMLDecoder, Jackson's polymorphic default typing or class-named type info,
 * SnakeYAML's arbitrary-type constructor). Messages are protobuf and JSON into fixed types only.
 */
class NoJavaDeserializationTest {

    private static final Pattern UNSAFE = Pattern.compile(
            "ObjectInputStream|\\breadObject\\s*\\(\\s*\\)|readUnshared\\s*\\(\\s*\\)|XMLDecoder|enableDefaultTyping|activateDefaultTyping"
                    + "|JsonTypeInfo\\.Id\\.(CLASS|MINIMAL_CLASS)|SerializationUtils\\.deserialize|new\\s+Yaml\\s*\\("
                    + "|XStream|Kryo|Hessian");

    static List<String> unsafeLines(Path file, List<String> lines) {
        List<String> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (UNSAFE.matcher(lines.get(i)).find()) {
                found.add(file + ":" + (i + 1) + ": " + lines.get(i).strip());
            }
        }
        return found;
    }

    @Test
    void theScanFindsAPlantedDeserialisation() {
        Path planted = Path.of("Planted.java");
        assertThat(unsafeLines(planted, List.of("var in = new java.io.ObjectInputStream(bytes);", "Object o = in.readObject();",
                "mapper.activateDefaultTyping(validator);", "String safe = mapper.readValue(json, Task.class);",
                "ObjectNode node = json.readObject(row.getString(\"data\"));")))
                .hasSize(3);
    }

    @Test
    void noMainSourceDeserialisesJavaObjects() throws IOException {
        Path sources = Path.of("src", "main", "java");
        List<String> found = new ArrayList<>();
        int files;
        try (Stream<Path> walk = Files.walk(sources)) {
            List<Path> java = walk.filter(p -> p.toString().endsWith(".java")).toList();
            files = java.size();
            for (Path file : java) {
                found.addAll(unsafeLines(file, Files.readAllLines(file)));
            }
        }
        assertThat(files).as("Java sources scanned").isGreaterThan(20);
        assertThat(found).isEmpty();
    }
}
