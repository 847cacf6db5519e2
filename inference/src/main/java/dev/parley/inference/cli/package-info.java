/** The parley command line (info, tokenize, template, logits, generate, bench, forge): picocli commands over the engine. */
package dev.parley.inference.cli;
