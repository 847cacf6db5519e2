/** What both APIs share: admitting a conversation to the engine, a run seen from a connection, and the errors clients see. */
package dev.parley.server.chat;

