/** Chat templates: Hugging Face-compatible Jinja rendering of a conversation into the prompt text a model expects. */
package dev.parley.inference.template;
