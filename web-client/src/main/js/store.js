// Conversations kept in the browser (localStorage), newest first; export and import as JSON.
//
// A conversation: { id, title, createdAt, updatedAt, session, messages }. `session` is the server session id while
// it may still be alive (null otherwise). `messages` are exactly what the server session holds, in order, so an
// index here is the index an `edit` frame needs: a system prompt, when there is one, is messages[0].
// A message: { role, content, tokens?, stats?, finish?, error? } (tokens = the inspector's logprobs).

const STORAGE_KEY = 'parley.conversations';
const EXPORT_FORMAT = 'parley-conversations';
const ROLES = new Set(['system', 'user', 'assistant']);

export class ConversationStore {
  constructor(storage = window.localStorage) {
    this.storage = storage;
    this.conversations = this.read();
  }

  read() {
    try {
      const parsed = JSON.parse(this.storage.getItem(STORAGE_KEY) || '[]');
      return Array.isArray(parsed) ? parsed.map(validConversation).filter(Boolean) : [];
    } catch {
      return [];
    }
  }

  list() {
    return [...this.conversations].sort((a, b) => b.updatedAt - a.updatedAt);
  }

  get(id) {
    return this.conversations.find((c) => c.id === id) ?? null;
  }

  create(systemPrompt) {
    const now = Date.now();
    const conversation = {
      id: newId(),
      title: 'New chat',
      createdAt: now,
      updatedAt: now,
      session: null,
      messages: systemPrompt ? [{ role: 'system', content: systemPrompt }] : [],
    };
    this.conversations.push(conversation);
    return conversation;
  }

  /** Persists every conversation; when storage is full, drops stored token details (the bulkiest part) and retries. */
  save(conversation) {
    if (conversation) conversation.updatedAt = Date.now();
    try {
      this.storage.setItem(STORAGE_KEY, JSON.stringify(this.conversations));
      return true;
    } catch (e) {
      if (e?.name !== 'QuotaExceededError') throw e;
      for (const c of this.conversations) for (const m of c.messages) delete m.tokens;
      this.storage.setItem(STORAGE_KEY, JSON.stringify(this.conversations));
      return false;
    }
  }

  rename(id, title) {
    const c = this.get(id);
    if (!c) return;
    c.title = title.trim().slice(0, 200) || c.title;
    this.save(c);
  }

  delete(id) {
    this.conversations = this.conversations.filter((c) => c.id !== id);
    this.save();
  }

  exportJson() {
    return JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: new Date().toISOString(), conversations: this.list() }, null, 2);
  }

  /**
   * Adds the conversations of an exported file (or a bare array of them). Imported text is as untrusted as model
   * output: only known fields of the right types are kept, and server sessions are dropped (the history is re-sent).
   * Returns how many were imported; throws with a readable message when the file is not an export.
   */
  importJson(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      throw new Error('The file is not JSON.');
    }
    const list = Array.isArray(data) ? data : data?.format === EXPORT_FORMAT ? data.conversations : null;
    if (!Array.isArray(list)) throw new Error('The file is not a Parley conversation export.');
    const imported = list.map(validConversation).filter(Boolean);
    for (const c of imported) {
      c.session = null;
      if (this.get(c.id)) c.id = newId();
      this.conversations.push(c);
    }
    this.save();
    return imported.length;
  }
}

function validConversation(c) {
  if (!c || typeof c !== 'object' || !Array.isArray(c.messages)) return null;
  const messages = c.messages.filter((m) => m && ROLES.has(m.role) && typeof m.content === 'string').map(validMessage);
  const now = Date.now();
  return {
    id: typeof c.id === 'string' && c.id ? c.id.slice(0, 64) : newId(),
    title: typeof c.title === 'string' && c.title.trim() ? c.title.slice(0, 200) : 'Imported chat',
    createdAt: Number.isFinite(c.createdAt) ? c.createdAt : now,
    updatedAt: Number.isFinite(c.updatedAt) ? c.updatedAt : now,
    session: typeof c.session === 'string' ? c.session : null,
    messages,
  };
}

function validMessage(m) {
  const message = { role: m.role, content: m.content };
  if (m.role === 'assistant') {
    if (typeof m.reasoning === 'string') message.reasoning = m.reasoning;
    if (Array.isArray(m.tokens)) message.tokens = m.tokens.filter(validToken);
    if (m.stats && typeof m.stats === 'object') message.stats = pickNumbers(m.stats, ['tokens', 'ttftMs', 'tokensPerSecond']);
    if (typeof m.finish === 'string') message.finish = m.finish.slice(0, 40);
    if (typeof m.error === 'string') message.error = m.error.slice(0, 500);
  }
  return message;
}

function validToken(t) {
  return t && typeof t.text === 'string' && Number.isFinite(t.logprob)
    && (t.top === undefined || (Array.isArray(t.top) && t.top.every((a) => a && typeof a.text === 'string' && Number.isFinite(a.logprob))));
}

function pickNumbers(object, keys) {
  const out = {};
  for (const k of keys) if (Number.isFinite(object[k])) out[k] = object[k];
  return out;
}

// Not crypto.randomUUID: that exists only in secure contexts, and Parley is often reached over plain http on a LAN.
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `c-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A title from the first user message: its first line, shortened. */
export function titleFrom(text) {
  const line = text.trim().split('\n')[0].trim();
  return line.length > 48 ? `${line.slice(0, 47)}…` : line || 'New chat';
}
