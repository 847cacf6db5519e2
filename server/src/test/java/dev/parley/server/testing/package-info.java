/** The test harness: an in-process server, real clients (WebSocket, raw socket), Redis and server processes. */
package dev.parley.server.testing;

