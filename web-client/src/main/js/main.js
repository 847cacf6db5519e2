// Parley's chat page: wires the connection, the stored conversations, the message list, the sidebar, the composer
// and the settings panel together.

import { ChatConnection, chatSocketTarget } from './connection.js';
import { ConversationStore, titleFrom } from './store.js';
import { loadSettings, saveSettings, chatParams } from './settings.js';
import { ChatController } from './chat.js';
import { MessageList } from './messages.js';
import { Sidebar } from './sidebar.js';
import { SettingsDialog } from './settings-dialog.js';
import { TokenPopover } from './inspector.js';
import { renderMarkdown } from './markdown.js';

const CURRENT_KEY = 'parley.current';
const $ = (id) => document.getElementById(id);

let settings = loadSettings();
const store = new ConversationStore();
const connection = new ChatConnection(() => chatSocketTarget(settings.apiKey));
let current = store.get(localStorage.getItem(CURRENT_KEY)) ?? store.list()[0] ?? null;

const messageList = new MessageList($('messages'), {
  edit: (index, text) => chat.edit(current, index, text, chatParams(settings)),
  regenerate: () => chat.regenerate(current, chatParams(settings)),
  canAct: () => !chat.busy() && connection.isOpen(),
  inspector: () => settings.inspector,
  model: () => connection.hello?.model ?? '',
});

const chat = new ChatController(connection, store, {
  changed(conversation, streamingIndex) {
    if (conversation === current) messageList.render(conversation, streamingIndex);
    refreshChrome();
  },
  streamed(conversation) {
    if (conversation === current) messageList.updateStreaming();
  },
  failed(conversation, text, kind, draft) {
    showNotice(text);
    if (kind === 'send' && draft && conversation === current && !$('prompt').value) {
      $('prompt').value = draft;
      autoGrow();
    }
  },
});

const sidebar = new Sidebar($('conversation-list'), {
  select(id) {
    selectConversation(store.get(id));
    closeSidebarOnPhone();
  },
  rename(id, title) {
    store.rename(id, title);
    refreshChrome();
  },
  remove(id) {
    if (chat.active?.conversation.id === id) chat.stop();
    store.delete(id);
    if (current?.id === id) selectConversation(store.list()[0] ?? null);
    else refreshChrome();
  },
});

const settingsDialog = new SettingsDialog($('settings'), () => settings, (next, field) => {
  const keyChanged = next.apiKey !== settings.apiKey;
  settings = next;
  saveSettings(settings);
  applyTheme();
  if (keyChanged) connection.connect();
  if (field === 'systemPrompt' && current && current.messages.length === 0) messageList.render(current);
});

const popover = new TokenPopover($('token-popover'), (span) => {
  const index = span.closest('article')?.dataset.index;
  const message = index != null ? current?.messages[Number(index)] : null;
  return message?.tokens?.[Number(span.dataset.index)] ?? null;
});
popover.attach($('messages'));

// ---- conversations

function selectConversation(conversation) {
  current = conversation;
  if (current) localStorage.setItem(CURRENT_KEY, current.id);
  else localStorage.removeItem(CURRENT_KEY);
  const streamingIndex = chat.active?.conversation === current ? chat.active.index : -1;
  messageList.render(current, streamingIndex);
  hideNotice();
  refreshChrome();
}

function newChat() {
  if (current && current.messages.every((m) => m.role === 'system')) {
    // an untouched new chat is reused, so repeated clicks do not pile up empty conversations
    current.messages = settings.systemPrompt ? [{ role: 'system', content: settings.systemPrompt }] : [];
    selectConversation(current);
  } else {
    selectConversation(store.create(settings.systemPrompt));
    store.save(current);
  }
  $('prompt').focus();
}

function send() {
  const text = $('prompt').value;
  if (!text.trim() || chat.busy()) return;
  if (!connection.isOpen()) {
    showNotice('Not connected to the server yet; it reconnects automatically. Your message stays in the input box.');
    return;
  }
  if (!current) {
    current = store.create(settings.systemPrompt);
    localStorage.setItem(CURRENT_KEY, current.id);
  }
  if (!current.messages.some((m) => m.role === 'user')) current.title = titleFrom(text);
  $('prompt').value = '';
  autoGrow();
  hideNotice();
  chat.send(current, text, chatParams(settings));
}

// ---- chrome: header, sidebar, composer state

function refreshChrome() {
  sidebar.render(store.list(), current?.id, chat.active?.conversation.id);
  refreshComposer();
}

function refreshComposer() {
  const busy = chat.busy();
  $('send').hidden = busy;
  $('stop').hidden = !busy;
  $('send').disabled = !connection.isOpen();
  document.body.classList.toggle('busy', busy);
}

let connectionInfo = { state: 'connecting' };

function showConnection(info) {
  connectionInfo = info;
  const { state, reason, retryAt } = info;
  const el = $('connection');
  el.dataset.state = state;
  el.title = reason ?? '';
  if (state === 'open') el.textContent = 'Connected';
  else if (state === 'connecting') el.textContent = 'Connecting…';
  else {
    const seconds = Math.max(1, Math.round((retryAt - Date.now()) / 1000));
    el.textContent = `Reconnecting in ${seconds} s${reason ? ` — ${reason}` : ''}`;
  }
  refreshComposer();
}

/** Which LoRA adapters the server serves, for the settings' model picker; a stored adapter it no longer serves is dropped. */
async function loadModels() {
  try {
    const headers = settings.apiKey ? { Authorization: `Bearer ${settings.apiKey}` } : {};
    const response = await fetch(new URL('v1/models', document.baseURI), { headers });
    if (!response.ok) return;
    const models = (await response.json()).data ?? [];
    if (settings.adapter && !models.some((m) => m.parent && m.id === settings.adapter)) {
      settings = { ...settings, adapter: '' };
      saveSettings(settings);
    }
    settingsDialog.showModels(models);
  } catch {
    // the picker stays as it was; the chat itself does not need the list
  }
}

function showHello(hello) {
  loadModels();
  $('model-name').textContent = hello.model;
  $('model-context').textContent = `${Number(hello.context_length).toLocaleString()} ctx`;
  $('model-name').title = hello.server ?? '';
  // the built-in demo model says what it is: it continues text and does not follow instructions
  const about = $('model-description');
  about.textContent = hello.description ?? '';
  about.hidden = !hello.description;
  if (current) messageList.render(current, chat.active?.conversation === current ? chat.active.index : -1);
  else messageList.render(null);
}

function showNotice(text) {
  const notice = $('notice');
  notice.querySelector('.notice-text').textContent = text;
  notice.hidden = false;
}

function hideNotice() {
  $('notice').hidden = true;
}

function applyTheme() {
  const dark = settings.theme === 'dark' || (settings.theme === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  $('toggle-theme').setAttribute('aria-label', dark ? 'Switch to light theme' : 'Switch to dark theme');
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', dark ? '#15171c' : '#ffffff');
}

function applyInspector() {
  $('toggle-inspector').setAttribute('aria-pressed', String(settings.inspector));
  document.body.classList.toggle('inspecting', settings.inspector);
  $('inspector-legend').hidden = !settings.inspector;
  popover.hide();
  messageList.render(current, chat.active?.conversation === current ? chat.active.index : -1);
}

function autoGrow() {
  const area = $('prompt');
  area.style.height = 'auto';
  area.style.height = `${Math.min(area.scrollHeight, window.innerHeight * 0.4)}px`;
}

function closeSidebarOnPhone() {
  document.body.classList.remove('sidebar-open');
  $('toggle-sidebar').setAttribute('aria-expanded', 'false');
}

// ---- events

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});
$('prompt').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
$('prompt').addEventListener('input', autoGrow);
$('stop').addEventListener('click', () => chat.stop());
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && chat.busy() && !$('settings').open) chat.stop();
});
$('new-chat').addEventListener('click', () => {
  newChat();
  closeSidebarOnPhone();
});
$('open-settings').addEventListener('click', () => settingsDialog.open());
$('toggle-theme').addEventListener('click', () => {
  settings = { ...settings, theme: document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark' };
  saveSettings(settings);
  applyTheme();
});
$('toggle-inspector').addEventListener('click', () => {
  settings = { ...settings, inspector: !settings.inspector };
  saveSettings(settings);
  applyInspector();
});
$('toggle-sidebar').addEventListener('click', () => {
  const open = document.body.classList.toggle('sidebar-open');
  $('toggle-sidebar').setAttribute('aria-expanded', String(open));
});
$('sidebar-backdrop').addEventListener('click', closeSidebarOnPhone);
$('notice').querySelector('button').addEventListener('click', hideNotice);
$('export').addEventListener('click', () => {
  const blob = new Blob([store.exportJson()], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `parley-conversations-${new Date().toISOString().slice(0, 10)}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
$('import').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  e.target.value = '';
  if (!file) return;
  try {
    const count = store.importJson(await file.text());
    showNotice(`Imported ${count} conversation${count === 1 ? '' : 's'}.`);
    if (count > 0) selectConversation(store.list()[0]);
  } catch (error) {
    showNotice(`Import failed: ${error.message}`);
  }
});
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
connection.addEventListener('state', (e) => showConnection(e.detail));
connection.addEventListener('hello', (e) => showHello(e.detail));
// The countdown in "Reconnecting in N s" ticks down.
setInterval(() => {
  if (connectionInfo.state === 'reconnecting') showConnection(connectionInfo);
}, 1000);

// A small read-only hook for tests and curious users: what the page does with a markdown string.
window.parley = Object.freeze({ renderMarkdown });

applyTheme();
applyInspector();
selectConversation(current);
connection.connect();
$('prompt').focus();
