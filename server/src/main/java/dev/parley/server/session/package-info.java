/** Chat sessions: in-process or shared through Redis, with one request at a time per session across replicas. */
package dev.parley.server.session;

