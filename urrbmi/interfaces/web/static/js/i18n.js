// Every label comes from /static/i18n/<lang>.json. Chinese is the default; the choice is remembered.
const KEY = 'urrbmi.lang';
export const LANGS = ['zh', 'en'];
let dict = {};
let lang = LANGS.includes(localStorage.getItem(KEY)) ? localStorage.getItem(KEY) : 'zh';

export async function loadLang(next = lang) {
  const res = await fetch(`/static/i18n/${next}.json`);
  dict = await res.json();
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.title');
}

export function getLang() { return lang; }

export function t(key, params) {
  let s = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : key;
  if (params) for (const k of Object.keys(params)) s = s.split(`{${k}}`).join(String(params[k]));
  return s;
}

// An API error in the user's language (the API sends both).
export function errText(err) {
  if (err && err.zh !== undefined) return lang === 'zh' ? err.zh : (err.en || err.zh);
  return t('error.network');
}
