// The settings panel: a <dialog> whose fields map one to one onto the stored settings; changes apply as you type.

import { normalize } from './settings.js';

const FIELDS = ['systemPrompt', 'adapter', 'temperature', 'topP', 'maxTokens', 'seed', 'ignoreEos', 'logprobs', 'answers', 'apiKey',
  'theme'];

export class SettingsDialog {
  /** @param onChange (settings, changedField) called after every edit */
  constructor(dialog, getSettings, onChange) {
    this.dialog = dialog;
    this.getSettings = getSettings;
    this.onChange = onChange;
    this.form = dialog.querySelector('form');
    this.form.addEventListener('input', (e) => this.read(e.target.name));
    this.form.addEventListener('change', (e) => this.read(e.target.name));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.dialog.close();
    });
    dialog.querySelector('[data-action="reset-sampling"]')?.addEventListener('click', () => {
      const s = { ...this.getSettings(), temperature: 0.8, topP: 0.95, maxTokens: 512, seed: '', ignoreEos: false, logprobs: 5, answers: 1 };
      this.onChange(normalize(s), 'sampling');
      this.fill();
    });
  }

  /**
   * Fills the model picker from /v1/models (the base first, then its LoRA adapters); shown only when the server serves
   * adapters. Returns the ids served.
   */
  showModels(models) {
    const select = this.form.elements.adapter;
    const base = models.find((m) => !m.parent);
    select.replaceChildren(...models.map((m) => {
      const option = document.createElement('option');
      option.value = m.parent ? m.id : '';
      option.textContent = m.parent ? `${m.id} (LoRA on ${m.parent})` : `${m.id} (base model)`;
      return option;
    }));
    if (!base) select.prepend(new Option('base model', ''));
    this.dialog.querySelector('#adapter-setting').hidden = models.length < 2;
    this.fill();
  }

  open() {
    this.fill();
    this.dialog.showModal();
  }

  fill() {
    const s = this.getSettings();
    for (const name of FIELDS) {
      const field = this.form.elements[name];
      if (!field) continue;
      if (field.type === 'checkbox') field.checked = s[name];
      else field.value = String(s[name]);
    }
    this.showValues();
  }

  read(changed) {
    if (!FIELDS.includes(changed)) return;
    const s = { ...this.getSettings() };
    for (const name of FIELDS) {
      const field = this.form.elements[name];
      if (field) s[name] = field.type === 'checkbox' ? field.checked : field.value;
    }
    this.showValues();
    this.onChange(normalize(s), changed);
  }

  /** Range sliders show their number next to them. */
  showValues() {
    for (const output of this.form.querySelectorAll('output[for]')) {
      output.textContent = this.form.elements[output.htmlFor.value]?.value ?? '';
    }
  }
}
