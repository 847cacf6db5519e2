/** The OpenAI-compatible HTTP API: chat and text completions (JSON or SSE), models, and its error shape. */
package dev.parley.server.openai;

