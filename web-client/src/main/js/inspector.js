// The token inspector: a reply shown token by token, each coloured by the probability the model gave it, with a
// popover listing the alternatives it could have sampled instead (the `tokens` of delta frames, from `logprobs`).

/** Confidence bands for colouring; the same names appear in the popover and the legend. */
export function confidence(probability) {
  if (probability >= 0.8) return 'high';
  if (probability >= 0.5) return 'medium';
  if (probability >= 0.2) return 'low';
  return 'very-low';
}

/** Whitespace made visible, so a space or newline token can be told apart in the popover. */
export function visibleToken(text) {
  if (text === '') return '∅';
  return text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}

export function percent(logprob) {
  const p = Math.exp(logprob) * 100;
  return p >= 10 ? `${p.toFixed(1)}%` : p >= 0.1 ? `${p.toFixed(2)}%` : '<0.1%';
}

/** Appends one focusable span per token; returns the spans. */
export function appendTokenSpans(container, tokens, startIndex = 0) {
  const spans = [];
  tokens.forEach((token, i) => {
    const span = document.createElement('span');
    span.className = `token ${confidence(Math.exp(token.logprob))}`;
    span.textContent = token.text;
    span.tabIndex = 0;
    span.dataset.index = String(startIndex + i);
    span.setAttribute('role', 'button');
    span.setAttribute('aria-label', `token ${visibleToken(token.text)}, probability ${percent(token.logprob)}`);
    container.append(span);
    spans.push(span);
  });
  return spans;
}

/** One shared popover; follows hover, keyboard focus and taps (touch has no hover). */
export class TokenPopover {
  constructor(element, tokenLookup) {
    this.element = element;
    this.tokenLookup = tokenLookup; // (span) -> token | null
    this.pinned = null;
  }

  attach(root) {
    root.addEventListener('mouseover', (e) => {
      const span = e.target.closest?.('.token');
      if (span && !this.pinned) this.show(span);
    });
    root.addEventListener('mouseout', (e) => {
      if (e.target.closest?.('.token') && !this.pinned) this.hide();
    });
    root.addEventListener('focusin', (e) => {
      const span = e.target.closest?.('.token');
      if (span) this.show(span);
    });
    root.addEventListener('focusout', (e) => {
      if (e.target.closest?.('.token') && !this.pinned) this.hide();
    });
    root.addEventListener('click', (e) => {
      const span = e.target.closest?.('.token');
      if (!span) return;
      if (this.pinned === span) {
        this.pinned = null;
        this.hide();
      } else {
        this.pinned = span;
        this.show(span);
      }
    });
    document.addEventListener('click', (e) => {
      if (this.pinned && !e.target.closest?.('.token') && !this.element.contains(e.target)) {
        this.pinned = null;
        this.hide();
      }
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.element.hidden) {
        this.pinned = null;
        this.hide();
      }
    });
  }

  show(span) {
    const token = this.tokenLookup(span);
    if (!token) return;
    const el = this.element;
    el.replaceChildren();
    const head = document.createElement('div');
    head.className = 'popover-head';
    const chosen = document.createElement('code');
    chosen.textContent = visibleToken(token.text);
    const p = document.createElement('span');
    p.className = `badge ${confidence(Math.exp(token.logprob))}`;
    p.textContent = percent(token.logprob);
    head.append('Sampled ', chosen, ' ', p);
    el.append(head);
    const top = token.top ?? [];
    if (top.length) {
      const list = document.createElement('ol');
      list.className = 'alternatives';
      list.setAttribute('aria-label', 'Top alternatives');
      for (const alt of top) {
        const item = document.createElement('li');
        if (alt.text === token.text) item.className = 'chosen';
        const text = document.createElement('code');
        text.textContent = visibleToken(alt.text);
        const bar = document.createElement('span');
        bar.className = `bar ${confidence(Math.exp(alt.logprob))}`;
        bar.style.width = `${Math.max(2, Math.exp(alt.logprob) * 100)}%`;
        const value = document.createElement('span');
        value.className = 'value';
        value.textContent = percent(alt.logprob);
        const barTrack = document.createElement('span');
        barTrack.className = 'bar-track';
        barTrack.append(bar);
        item.append(text, barTrack, value);
        list.append(item);
      }
      el.append(list);
    }
    el.hidden = false;
    this.position(span);
  }

  /** Below the token, kept inside the viewport (above it when there is no room below). */
  position(span) {
    const r = span.getBoundingClientRect();
    const el = this.element;
    const width = el.offsetWidth;
    const height = el.offsetHeight;
    const left = Math.min(Math.max(8, r.left), window.innerWidth - width - 8);
    const below = r.bottom + 6;
    const top = below + height > window.innerHeight - 8 ? Math.max(8, r.top - height - 6) : below;
    el.style.left = `${left}px`;
    el.style.top = `${top}px`;
  }

  hide() {
    this.element.hidden = true;
  }
}
