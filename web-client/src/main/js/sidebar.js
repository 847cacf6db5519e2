// The conversation list: switch, rename and delete; new chat, export and import live in the sidebar's header/footer.

export class Sidebar {
  /** @param actions { select(id), rename(id, title), remove(id) } */
  constructor(list, actions) {
    this.list = list;
    this.actions = actions;
  }

  render(conversations, currentId, streamingId) {
    this.list.replaceChildren();
    for (const c of conversations) {
      const item = document.createElement('li');
      item.className = 'conversation';
      item.dataset.id = c.id;
      if (c.id === currentId) item.classList.add('current');
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'conversation-open';
      open.textContent = c.title;
      open.title = c.title;
      if (c.id === currentId) open.setAttribute('aria-current', 'true');
      if (c.id === streamingId) open.classList.add('live');
      open.addEventListener('click', () => this.actions.select(c.id));
      const rename = smallButton('✎', `Rename “${c.title}”`, 'rename', () => this.startRename(item, c));
      const remove = smallButton('✕', `Delete “${c.title}”`, 'delete', () => {
        if (confirm(`Delete “${c.title}”? This cannot be undone.`)) this.actions.remove(c.id);
      });
      item.append(open, rename, remove);
      this.list.append(item);
    }
  }

  startRename(item, conversation) {
    const input = document.createElement('input');
    input.type = 'text';
    input.value = conversation.title;
    input.className = 'rename-input';
    input.setAttribute('aria-label', 'Conversation name');
    item.replaceChildren(input);
    input.focus();
    input.select();
    let done = false;
    const commit = (save) => {
      if (done) return;
      done = true;
      if (save && input.value.trim()) this.actions.rename(conversation.id, input.value);
      else this.actions.rename(conversation.id, conversation.title);
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') commit(true);
      if (e.key === 'Escape') {
        e.stopPropagation();
        commit(false);
      }
    });
    input.addEventListener('blur', () => commit(true));
  }
}

function smallButton(text, label, className, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `icon ${className}`;
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.title = label;
  b.addEventListener('click', onClick);
  return b;
}
