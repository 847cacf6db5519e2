/** The WebSocket chat protocol (server/PROTOCOL.md): one connection, its frames and the upgrade checks. */
package dev.parley.server.ws;

