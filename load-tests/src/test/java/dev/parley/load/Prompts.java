package dev.parley.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small built-in dataset of varied prompts (stories, questions, instructions, lists), so a run needs no download.
 * {@link #prompt} stretches or cuts one to a target length in words, which keeps prompt length a load parameter.
 */
public final class Prompts {
    private static final List<String> PROMPTS = List.of(
            "Once upon a time there was a little girl named Lily who loved to play outside in the garden.",
            "Tell me a short story about a brave dog who finds a lost ball in the park.",
            "What do cats like to eat, and why do they sleep so much during the day?",
            "Write a poem about the sea, the wind and a small red boat.",
            "Explain to a child why the sky is blue in simple words.",
            "List three things you can do on a rainy day at home with your family.",
            "Tom had a big red truck. One day the truck stopped working. What did Tom do?",
            "Summarize the story of a bird that learns to fly after falling from its nest.",
            "Describe a busy market in the morning: the smells, the colors and the people.",
            "Why is it important to share your toys with your friends? Give an example.",
            "A little bunny was hungry. It hopped into the forest to look for carrots.",
            "Continue the story: the old man opened the box and saw something shining inside.");

    /** Sentences appended to stretch a prompt; plain words every tokenizer knows. */
    private static final String FILLER = "The sun was warm and the day was long. Everyone in the town was happy and "
            + "the children ran to the park to play with their friends. ";

    private Prompts() {}

    public static int size() {
        return PROMPTS.size();
    }

    /** Prompt {@code index} (mod the dataset size) with exactly {@code words} words, or as written when words ≤ 0. */
    public static String prompt(long index, int words) {
        String base = PROMPTS.get((int) Math.floorMod(index, (long) PROMPTS.size()));
        if (words <= 0) return base;
        List<String> out = new ArrayList<>(Arrays.asList(base.split(" ")));
        List<String> filler = Arrays.asList(FILLER.trim().split(" "));
        for (int i = 0; out.size() < words; i++) out.add(filler.get(i % filler.size()));
        return String.join(" ", out.subList(0, words));
    }
}
