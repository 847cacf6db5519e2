/** The model being served: loading it, its chat formatting, and the Hugging Face download cache. */
package dev.parley.server.model;

