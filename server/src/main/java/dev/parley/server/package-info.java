/** The server: {@code ParleyServer} with the one route table (health, metrics, WebSocket, OpenAI API, web UI) and graceful shutdown. */
package dev.parley.server;

