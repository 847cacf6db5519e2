/**
 * Tool calling (OpenAI {@code tools}/{@code tool_choice}) for both APIs: the request's functions and choice, checked
 * ({@link dev.parley.server.tools.ToolRequest}); the conversation rendered with them through the model's own chat
 * template, or the documented default tool prompt for templates that know no tools
 * ({@link dev.parley.server.tools.ToolPrompt}); the model's native call syntax, chosen from its template
 * ({@link dev.parley.server.tools.ToolCallFormat}), parsed out of the generated text as it streams
 * ({@link dev.parley.server.tools.ToolCallExtractor}).
 */
package dev.parley.server.tools;
