package dev.parley.inference.constrain;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The independent JSON reference: Jackson (strict) parses, networknt's validator (draft 2020-12) validates. */
public final class JsonReference {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private final Schema schema;

    public JsonReference(String schemaJson) {
        this.schema = schemaJson == null ? null : REGISTRY.getSchema(schemaJson, InputFormat.JSON);
    }

    /** The parsed document, or null if it is not (strict) JSON. */
    public static JsonNode parse(String text) {
        try {
            JsonNode node = MAPPER.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** Whether the text is JSON that validates (any JSON when there is no schema). */
    public boolean valid(String text) {
        JsonNode node = parse(text);
        if (node == null || node.isMissingNode()) return false; // empty text
        if (schema == null) return true;
        return errors(node).isEmpty();
    }

    public List<com.networknt.schema.Error> errors(JsonNode node) {
        return schema.validate(node);
    }
}
