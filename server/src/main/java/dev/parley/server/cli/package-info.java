/** The runnable CLI: {@code parley serve} and {@code pull}, the config file, Hugging Face download options and signal handling. */
package dev.parley.server.cli;

