// Markdown rendering for untrusted model output: markdown-it with raw HTML disabled (tags show as text), then
// DOMPurify over the result as a second, independent barrier. Links open in a new tab without an opener; images
// become links, so a reply cannot make the browser fetch anything by itself (tracking pixels, offline use).

import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';
import { highlight } from './highlight.js';

const markdown = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: true,
  highlight: (code, language) => highlight(code, language),
});

markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  const src = token.attrGet('src') ?? '';
  const alt = self.renderInlineAsText(token.children ?? [], options, env) || src;
  return `<a href="${markdown.utils.escapeHtml(src)}">🖼 ${markdown.utils.escapeHtml(alt)}</a>`;
};

const purifier = DOMPurify(window);
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'img', 'video', 'audio', 'iframe', 'svg', 'math'],
  FORBID_ATTR: ['style'],
};

/** Sanitized HTML for a markdown source string. */
export function renderMarkdown(source) {
  return purifier.sanitize(markdown.render(source), PURIFY_CONFIG);
}

/** Renders into an element and gives each code block a copy button (built as DOM nodes, never as HTML text). */
export function renderMarkdownInto(element, source) {
  element.innerHTML = renderMarkdown(source);
  for (const pre of element.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy-code';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy code to clipboard');
    button.addEventListener('click', () => copyText(code?.textContent ?? pre.textContent, button));
    const language = [...(code?.classList ?? [])].find((c) => c.startsWith('language-'))?.slice(9);
    const bar = document.createElement('div');
    bar.className = 'code-bar';
    const label = document.createElement('span');
    label.textContent = language || 'code';
    bar.append(label, button);
    const wrapper = document.createElement('div');
    wrapper.className = 'code-block';
    pre.replaceWith(wrapper);
    wrapper.append(bar, pre);
  }
}

/** Copies text and says so on the button; falls back to a selection copy where the Clipboard API is unavailable (plain http). */
export async function copyText(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    ok = document.execCommand('copy');
    area.remove();
  }
  if (button) {
    const before = button.textContent;
    button.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => { button.textContent = before; }, 1500);
  }
}
