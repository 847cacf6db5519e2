// User settings: sampling parameters, system prompt, API key and display choices, persisted in localStorage.

const STORAGE_KEY = 'parley.settings';

export const DEFAULT_SETTINGS = Object.freeze({
  systemPrompt: '',
  temperature: 0.8,
  topP: 0.95,
  maxTokens: 512,
  seed: '',            // blank = a random seed per request
  ignoreEos: false,    // keep generating past the end-of-text token, up to max tokens
  logprobs: 5,         // alternatives per token for the inspector (the server allows up to 20)
  answers: 1,          // replies to each message shown side by side (the server's params.n; 1-4 here)
  apiKey: '',
  adapter: '',         // LoRA adapter the server serves (params.adapter); '' = the base model
  theme: 'system',     // 'system' | 'light' | 'dark'
  inspector: false,
});

export function loadSettings() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}');
    return normalize({ ...DEFAULT_SETTINGS, ...stored });
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(settings) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(normalize(settings)));
}

/** Coerces values read from storage or form fields into their types, falling back to defaults when invalid. */
export function normalize(s) {
  const number = (v, fallback, min, max) => {
    const n = typeof v === 'number' ? v : parseFloat(v);
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
  };
  const seed = String(s.seed ?? '').trim();
  return {
    systemPrompt: String(s.systemPrompt ?? ''),
    temperature: number(s.temperature, DEFAULT_SETTINGS.temperature, 0, 5),
    topP: number(s.topP, DEFAULT_SETTINGS.topP, 0, 1),
    maxTokens: Math.round(number(s.maxTokens, DEFAULT_SETTINGS.maxTokens, 1, 1 << 20)),
    seed: /^\d+$/.test(seed) ? seed : '',
    ignoreEos: Boolean(s.ignoreEos),
    logprobs: Math.round(number(s.logprobs, DEFAULT_SETTINGS.logprobs, 0, 20)),
    answers: Math.round(number(s.answers, DEFAULT_SETTINGS.answers, 1, 4)),
    apiKey: String(s.apiKey ?? '').trim(),
    adapter: String(s.adapter ?? ''),
    theme: ['light', 'dark'].includes(s.theme) ? s.theme : 'system',
    inspector: Boolean(s.inspector),
  };
}

/** The `params` object of a chat/regenerate/edit frame (field names fixed by server/PROTOCOL.md). */
export function chatParams(s) {
  const params = {
    max_tokens: s.maxTokens,
    temperature: s.temperature,
    top_p: s.topP,
  };
  if (s.seed !== '') params.seed = Number(s.seed);
  if (s.ignoreEos) params.ignore_eos = true;
  if (s.logprobs > 0) params.logprobs = s.logprobs;
  if (s.answers > 1) params.n = s.answers;
  // always sent ('' = the base), so switching back to the base also switches a session that used an adapter
  if (s.adapter !== undefined) params.adapter = s.adapter;
  return params;
}
