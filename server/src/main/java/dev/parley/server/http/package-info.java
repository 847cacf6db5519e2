/** HTTP plumbing shared by the APIs: API keys, JSON, Prometheus metrics and the browser UI files. */
package dev.parley.server.http;

