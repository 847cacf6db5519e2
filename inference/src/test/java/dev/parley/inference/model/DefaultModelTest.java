package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.train.Samples;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The shipped model loads from a real file and continues "In the beginning" with English words. */
class DefaultModelTest {
    @Test void loadsAndGeneratesEnglish() {
        assertTrue(Files.isRegularFile(DefaultModel.path()));
        try (Model m = Model.load(DefaultModel.path())) {
            assertEquals("llama", m.config().arch());
        }
        String text = Samples.generate(DefaultModel.path(), "In the beginning", 40, 0f, 1);
        String continuation = text.substring("In the beginning".length());
        assertTrue(continuation.strip().length() > 20, "generated: " + text);
        long words = java.util.Arrays.stream(continuation.split("[^A-Za-z]+"))
                .filter(w -> java.util.Set.of("the", "and", "of", "god", "lord", "unto", "he", "that", "in", "his", "shall").contains(w.toLowerCase()))
                .count();
        assertTrue(words >= 3, "common KJV words in: " + text);
    }
}
