// Chat operations over the WebSocket protocol: send, regenerate, edit and stop, keeping a conversation's local
// messages equal to its server session's history. When the session is gone (expired, server restarted) the
// whole history is sent again in a new session; when a request fails before it started, the local conversation
// goes back to what it was.

const MAX_TOKENS_KEPT = 20_000; // inspector details per reply; beyond this only the text is kept

export class ChatController {
  /**
   * @param connection a ChatConnection
   * @param store a ConversationStore
   * @param hooks { changed(conversation, streamingIndex), streamed(conversation), failed(conversation, text, kind, draft) }
   */
  constructor(connection, store, hooks) {
    this.connection = connection;
    this.store = store;
    this.hooks = hooks;
    this.active = null; // { id, conversation, index }
  }

  busy() {
    return this.active !== null;
  }

  send(conversation, text, params) {
    this.run(conversation, 'send', params, text, (messages) => {
      messages.push({ role: 'user', content: text });
      return { type: 'chat', messages: [{ role: 'user', content: text }] };
    });
  }

  regenerate(conversation, params) {
    this.run(conversation, 'regenerate', params, null, (messages) => {
      if (messages.at(-1)?.role !== 'assistant') return null;
      messages.pop();
      return { type: 'regenerate' };
    });
  }

  edit(conversation, index, text, params) {
    this.run(conversation, 'edit', params, text, (messages) => {
      if (messages[index]?.role !== 'user') return null;
      messages.length = index;
      messages.push({ role: 'user', content: text });
      return { type: 'edit', index, content: text };
    });
  }

  stop() {
    if (this.active?.id) this.connection.cancel(this.active.id);
  }

  /**
   * @param change mutates the messages for this operation and returns the frame to use when the session is alive
   *               (its messages are only the new turn), or null when the operation does not apply
   */
  run(conversation, kind, params, draft, change) {
    if (this.active) return;
    const snapshot = { messages: structuredClone(conversation.messages), session: conversation.session };
    const sessionFrame = change(conversation.messages);
    if (!sessionFrame) return;
    const history = structuredClone(conversation.messages);
    const reply = { role: 'assistant', content: '', tokens: [] };
    // With params.n > 1 the other answers stream next to the first; the session continues from the first one.
    const answers = params?.n > 1 ? params.n : 1;
    if (answers > 1) reply.alternatives = Array.from({ length: answers - 1 }, () => ({ role: 'assistant', content: '' }));
    let ended = 0;
    conversation.messages.push(reply);
    const index = conversation.messages.length - 1;
    this.active = { id: null, conversation, index };
    this.store.save(conversation);
    this.hooks.changed(conversation, index);

    // The same request in a new session, carrying the whole history.
    const freshFrame = { type: 'chat', messages: history, params };
    const usedSession = Boolean(conversation.session);
    let started = false;
    let resent = false;

    const restore = () => {
      conversation.messages = snapshot.messages;
      conversation.session = snapshot.session;
    };
    const finish = () => {
      this.active = null;
      if (reply.tokens && reply.tokens.length === 0) delete reply.tokens;
      this.store.save(conversation);
      this.hooks.changed(conversation, -1);
    };

    const onFrame = (frame) => {
      switch (frame.type) {
        case 'started':
          started = true;
          conversation.session = frame.session;
          break;
        case 'delta': {
          const answer = frame.index > 0 ? reply.alternatives?.[frame.index - 1] : reply;
          if (!answer) break;
          answer.content += frame.text ?? '';
          if (frame.reasoning) answer.reasoning = (answer.reasoning ?? '') + frame.reasoning;
          if (answer === reply && Array.isArray(frame.tokens) && reply.tokens && reply.tokens.length < MAX_TOKENS_KEPT) {
            reply.tokens.push(...frame.tokens);
          }
          this.hooks.streamed(conversation);
          break;
        }
        case 'done': {
          const answer = frame.index > 0 ? reply.alternatives?.[frame.index - 1] : reply;
          if (answer) {
            answer.finish = frame.finish_reason;
            answer.stats = {
              tokens: frame.usage?.completion_tokens,
              ttftMs: frame.timings?.ttft_ms ?? undefined,
              tokensPerSecond: frame.timings?.decode_tokens_per_s,
            };
          }
          if (++ended < answers) break; // one done frame per answer: the request is over after the last
          // The server keeps no turn for a reply cancelled before its first token; neither do we.
          if (reply.finish === 'cancelled' && reply.content === '' && !reply.reasoning) conversation.messages.pop();
          finish();
          break;
        }
        case 'error':
          if (!started && !resent && frame.code === 'not_found' && usedSession) {
            resent = true; // the session expired: start a new one with the whole history
            conversation.session = null;
            this.active.id = this.connection.request(freshFrame, onFrame);
            return;
          }
          if (!started) {
            restore();
            if (frame.code === 'connection_lost') conversation.session = null; // the server may have taken the turn
            this.active = null;
            this.store.save(conversation);
            this.hooks.changed(conversation, -1);
            this.hooks.failed(conversation, readableError(frame), kind, draft);
            return;
          }
          // Failed mid-reply: keep what arrived, and re-send the history next time (the server's copy may differ).
          reply.error = readableError(frame);
          conversation.session = null;
          finish();
          break;
        default:
          break;
      }
    };

    const first = usedSession ? { ...sessionFrame, session: conversation.session, params } : freshFrame;
    this.active.id = this.connection.request(first, onFrame);
  }
}

/** The server's error codes (server/PROTOCOL.md) as sentences a person can act on. */
export function readableError(frame) {
  const message = frame.message ? String(frame.message) : '';
  switch (frame.code) {
    case 'overloaded': {
      const wait = Number.isFinite(frame.retry_after_ms) ? ` Try again in ${Math.max(1, Math.ceil(frame.retry_after_ms / 1000))} s.` : ' Try again shortly.';
      return `The server is busy right now (${message || 'overloaded'}).${wait}`;
    }
    case 'context_overflow':
      return `This conversation no longer fits in the model's context: ${message || 'the prompt is too long'}. Start a new chat, or edit an earlier message to shorten it.`;
    case 'unauthorized':
      return 'The server needs a valid API key: set it in Settings.';
    case 'bad_request':
      return `The server rejected the request: ${message}`;
    case 'not_found':
      return `Not found: ${message}`;
    case 'not_connected':
      return 'Not connected to the server yet; your message is back in the input box. It reconnects automatically.';
    case 'connection_lost':
      return 'The connection to the server was lost; it reconnects automatically.';
    default:
      return `The server reported an error${message ? `: ${message}` : '.'}`;
  }
}
