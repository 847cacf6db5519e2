/** Everything the server is configured with besides the model, validated once where it is built. */
package dev.parley.server.config;

