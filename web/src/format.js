// Numbers in words for the panels. Pure: the language is a parameter.

const LOCALES = { zh: 'zh-CN', en: 'en' };

/** A count with digit grouping in `lang` (1,234 / 1,234), or — when missing. */
export function count(n, lang) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString(LOCALES[lang] || 'zh-CN');
}

/** A number with `d` decimals, or — when missing. */
export function fixed(n, d = 2) {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : Number(n).toFixed(d);
}
