/** Tokenizers built from GGUF vocabularies (SentencePiece, BPE, WordPiece), pre-tokenization and streaming detokenization. */
package dev.parley.inference.tokenizer;
