/** The serving engine: continuous batching in a step loop (scheduler, model runner, output processor) behind a request API. */
package dev.parley.inference.engine;
