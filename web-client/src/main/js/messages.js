// The message list: renders a conversation, the reply being streamed (with a typing cursor), per-reply stats,
// and the per-message actions (copy, edit, regenerate).

import { renderMarkdownInto, copyText } from './markdown.js';
import { appendTokenSpans } from './inspector.js';

const FINISH_NOTES = {
  length: 'stopped at the max tokens limit',
  cancelled: 'stopped',
  context_overflow: 'stopped: the context is full — start a new chat to continue',
};

export function formatStats(message) {
  const parts = [];
  const s = message.stats ?? {};
  if (Number.isFinite(s.tokens)) parts.push(`${s.tokens} token${s.tokens === 1 ? '' : 's'}`);
  if (Number.isFinite(s.ttftMs)) parts.push(`first token ${s.ttftMs < 10 ? s.ttftMs.toFixed(1) : Math.round(s.ttftMs)} ms`);
  if (Number.isFinite(s.tokensPerSecond) && s.tokensPerSecond > 0) parts.push(`${s.tokensPerSecond.toFixed(1)} tok/s`);
  if (message.finish && FINISH_NOTES[message.finish]) parts.push(FINISH_NOTES[message.finish]);
  return parts.join(' · ');
}

export class MessageList {
  /**
   * @param root the scrolling container
   * @param actions { edit(index, text), regenerate(), canAct(): boolean, inspector(): boolean, model(): string }
   */
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    this.conversation = null;
    this.streaming = null; // { index, element, renderedTokens, frame }
  }

  render(conversation, streamingIndex = -1) {
    this.conversation = conversation;
    this.streaming = null;
    this.root.replaceChildren();
    const messages = conversation?.messages ?? [];
    const visible = messages.filter((m) => m.role !== 'system');
    if (visible.length === 0) {
      this.root.append(this.emptyState(conversation));
      return;
    }
    const lastAssistant = messages.findLastIndex((m) => m.role === 'assistant');
    messages.forEach((message, index) => {
      if (message.role === 'system') {
        this.root.append(systemNote(message));
        return;
      }
      const el = this.messageElement(message, index, index === lastAssistant, index === streamingIndex);
      this.root.append(el);
      if (index === streamingIndex) this.streaming = { index, element: el, renderedTokens: 0, frame: 0 };
    });
    this.scrollToEnd(true);
  }

  emptyState(conversation) {
    const div = document.createElement('div');
    div.className = 'empty-state';
    const title = document.createElement('h2');
    title.textContent = 'Start a conversation';
    const hint = document.createElement('p');
    const model = this.actions.model();
    hint.textContent = model
      ? `You are talking to ${model}. Type a message below — Enter sends, Shift+Enter adds a line, Esc stops a reply.`
      : 'Type a message below — Enter sends, Shift+Enter adds a line, Esc stops a reply.';
    div.append(title, hint);
    if (conversation?.messages?.[0]?.role === 'system') div.append(systemNote(conversation.messages[0]));
    return div;
  }

  messageElement(message, index, isLastAssistant, isStreaming) {
    const article = document.createElement('article');
    article.className = `message ${message.role}`;
    article.dataset.index = String(index);
    article.setAttribute('aria-label', message.role === 'user' ? 'Your message' : 'Assistant reply');
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    const body = document.createElement('div');
    body.className = 'body';
    bubble.append(body);
    fillReasoning(bubble, message, isStreaming);
    this.fillBody(body, message, isStreaming);
    const meta = document.createElement('div');
    meta.className = 'meta';
    const stats = document.createElement('span');
    stats.className = 'stats';
    stats.textContent = formatStats(message);
    meta.append(stats, this.actionBar(message, index, isLastAssistant, isStreaming));
    bubble.append(meta);
    if (message.error) {
      const error = document.createElement('p');
      error.className = 'message-error';
      error.setAttribute('role', 'alert');
      error.textContent = message.error;
      bubble.append(error);
    }
    if (message.alternatives?.length) {
      // the other answers of the same request, next to the first one
      const row = document.createElement('div');
      row.className = 'answers';
      row.append(bubble);
      message.alternatives.forEach((alternative, i) => row.append(this.alternativeBubble(alternative, i + 1, isStreaming)));
      article.append(row);
    } else {
      article.append(bubble);
    }
    return article;
  }

  alternativeBubble(answer, index, isStreaming) {
    const bubble = document.createElement('div');
    bubble.className = 'bubble alternative';
    bubble.dataset.answer = String(index);
    bubble.setAttribute('aria-label', `Answer ${index + 1}`);
    const body = document.createElement('div');
    body.className = 'body';
    bubble.append(body);
    this.fillBody(body, answer, isStreaming && !answer.finish, true);
    const meta = document.createElement('div');
    meta.className = 'meta';
    const stats = document.createElement('span');
    stats.className = 'stats';
    stats.textContent = formatStats(answer);
    const bar = document.createElement('span');
    bar.className = 'actions';
    if (!isStreaming) bar.append(iconButton('Copy', 'Copy this answer', (b) => copyText(answer.content, b)));
    meta.append(stats, bar);
    bubble.append(meta);
    return bubble;
  }

  /** plainMarkdown: an alternative answer, which keeps no tokens for the inspector. */
  fillBody(body, message, isStreaming, plainMarkdown = false) {
    body.classList.toggle('streaming', isStreaming);
    body.setAttribute('aria-busy', String(isStreaming));
    if (message.role === 'user') {
      body.classList.add('plain');
      body.textContent = message.content;
    } else if (!plainMarkdown && this.actions.inspector() && message.tokens?.length) {
      body.className = `body tokens${isStreaming ? ' streaming' : ''}`;
      body.replaceChildren();
      appendTokenSpans(body, message.tokens);
    } else {
      body.className = `body markdown${isStreaming ? ' streaming' : ''}`;
      renderMarkdownInto(body, message.content);
      if (isStreaming && !message.content && !message.reasoning) body.append(thinkingDots());
    }
  }

  actionBar(message, index, isLastAssistant, isStreaming) {
    const bar = document.createElement('span');
    bar.className = 'actions';
    if (isStreaming) return bar;
    const canAct = this.actions.canAct();
    if (message.role === 'assistant') {
      bar.append(iconButton('Copy', 'Copy reply', (b) => copyText(message.content, b)));
      if (isLastAssistant) {
        bar.append(iconButton('Regenerate', 'Regenerate this reply', () => this.actions.regenerate(), !canAct));
      }
    } else if (message.role === 'user') {
      bar.append(iconButton('Edit', 'Edit this message and generate again', () => this.startEdit(index), !canAct));
    }
    return bar;
  }

  startEdit(index) {
    const article = this.root.querySelector(`article[data-index="${index}"]`);
    const message = this.conversation.messages[index];
    if (!article || !message) return;
    const body = article.querySelector('.body');
    const form = document.createElement('form');
    form.className = 'edit-form';
    const area = document.createElement('textarea');
    area.value = message.content;
    area.rows = Math.min(10, message.content.split('\n').length + 1);
    area.setAttribute('aria-label', 'Edit message');
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'primary';
    save.textContent = 'Save & send';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = 'Cancel';
    const buttons = document.createElement('div');
    buttons.className = 'edit-buttons';
    buttons.append(cancel, save);
    form.append(area, buttons);
    body.replaceWith(form);
    article.querySelector('.actions')?.replaceChildren();
    area.focus();
    cancel.addEventListener('click', () => this.render(this.conversation));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (area.value.trim()) this.actions.edit(index, area.value);
    });
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      } else if (e.key === 'Escape') {
        e.stopPropagation();
        this.render(this.conversation);
      }
    });
  }

  /** Updates the streamed reply at most once per animation frame (re-rendering markdown on every delta is wasteful). */
  updateStreaming() {
    const s = this.streaming;
    if (!s || s.frame) return;
    s.frame = requestAnimationFrame(() => {
      s.frame = 0;
      const message = this.conversation.messages[s.index];
      const body = s.element.querySelector('.body');
      if (!message || !body) return;
      if (this.actions.inspector() && message.tokens?.length) {
        if (!body.classList.contains('tokens')) {
          body.className = 'body tokens streaming';
          body.replaceChildren();
          s.renderedTokens = 0;
        }
        appendTokenSpans(body, message.tokens.slice(s.renderedTokens), s.renderedTokens);
        s.renderedTokens = message.tokens.length;
      } else {
        this.fillBody(body, message, true);
      }
      fillReasoning(s.element.querySelector('.bubble'), message, true);
      message.alternatives?.forEach((answer, i) => {
        const other = s.element.querySelector(`.bubble.alternative[data-answer="${i + 1}"] .body`);
        if (other) this.fillBody(other, answer, !answer.finish, true);
      });
      this.scrollToEnd(false);
    });
  }

  /** Follows the stream only when the reader is already at the bottom (they may have scrolled up to read). */
  scrollToEnd(force) {
    const r = this.root;
    const nearBottom = r.scrollHeight - r.scrollTop - r.clientHeight < 120;
    if (force || nearBottom) r.scrollTop = r.scrollHeight;
  }
}

/**
 * A reasoning model's thinking (the server's `reasoning` deltas), folded above the answer in a <details> the reader
 * opens: created when the first reasoning arrives, its text updated while it streams; the open/closed state the reader
 * chose is kept.
 */
function fillReasoning(bubble, message, isStreaming) {
  if (!bubble || !message.reasoning) return;
  let details = bubble.querySelector(':scope > details.reasoning');
  if (!details) {
    details = document.createElement('details');
    details.className = 'reasoning';
    const summary = document.createElement('summary');
    const text = document.createElement('div');
    text.className = 'reasoning-text';
    details.append(summary, text);
    bubble.prepend(details);
  }
  const thinking = isStreaming && !message.content;
  details.querySelector('summary').textContent = thinking ? 'Thinking…' : 'Reasoning';
  details.classList.toggle('streaming', thinking);
  details.querySelector('.reasoning-text').textContent = message.reasoning;
}

function iconButton(label, ariaLabel, onClick, disabled = false) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `action ${label.toLowerCase()}`;
  b.textContent = label;
  b.setAttribute('aria-label', ariaLabel);
  b.disabled = disabled;
  b.addEventListener('click', () => onClick(b));
  return b;
}

function systemNote(message) {
  const details = document.createElement('details');
  details.className = 'system-note';
  const summary = document.createElement('summary');
  summary.textContent = 'System prompt';
  const text = document.createElement('p');
  text.textContent = message.content;
  details.append(summary, text);
  return details;
}

function thinkingDots() {
  const span = document.createElement('span');
  span.className = 'thinking';
  span.setAttribute('aria-label', 'Waiting for the first token');
  return span;
}
