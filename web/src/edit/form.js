// The editing form's fields: every stored attribute with its label (from the server's schema),
// an input fitting its kind (whole numbers and years, numbers, text, codes), enums and yes/no as
// choices, lists as check boxes, and the fields naming another feature as a choice of those
// features; the message of a failed check beside each field, in the UI's language. Values go
// into the session (./state.js) as they are typed; nothing here talks to the server but the
// choice lists (./references.js).

import { el } from '../dom.js';
import { enumLabel, enumValues } from '../enums.js';
import { getLang, t } from '../i18n.js';
import { fieldChanged, setRaw } from './state.js';

/** The message of a field's problem: a check of ours (i18n key) or the server's reason (Chinese when there is one and the UI is Chinese). */
export function problemText(p) {
  if (!p) return '';
  if (p.key) return t(p.key, p.vars);
  return getLang() === 'zh' && p.reason_zh ? p.reason_zh : p.reason;
}

const INPUT_MODES = { integer: 'numeric', year: 'numeric', number: 'decimal', code: 'numeric' };

/** The range shown under a number's input (`0–1,000,000`), or ''. */
function rangeHint(f) {
  if (!['integer', 'number'].includes(f.kind) || f.min === null || f.max === null) return '';
  const fmt = (n) => n.toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en');
  return `${fmt(f.min)} – ${fmt(f.max)}`;
}

/**
 * Builds the fields of `session` into `root`. `label(field)` names a field; `references` gives a
 * reference field's choices; `account` limits them to its scope; `onChange(name)` follows every
 * change. Returns `{ showErrors(), setValue(name, raw), refreshChoices(names) }`.
 */
export function createForm(root, { session: s, label, references, account, onChange }) {
  const rows = new Map(); // field → { row, control, message }

  function idOf(name) {
    return `edit-${name}`;
  }

  function choice(f, list, { empty }) {
    const raw = s.raw[f.name];
    const sel = el('select', { id: idOf(f.name), name: f.name });
    if (empty || raw === '') sel.append(el('option', { value: '' }, f.required ? t('edit.choose') : t('edit.none')));
    for (const [value, text] of list) sel.append(el('option', { value, selected: value === raw }, text));
    if (raw !== '' && !list.some(([v]) => v === raw)) sel.append(el('option', { value: raw, selected: true }, raw));
    sel.value = raw;
    sel.addEventListener('change', () => changed(f, sel.value, true));
    return sel;
  }

  function referenceChoice(f) {
    const sel = choice(f, [], { empty: !f.required });
    sel.dataset.reference = f.references.layer;
    fillChoices(f, sel);
    return sel;
  }

  async function fillChoices(f, sel) {
    sel.disabled = true;
    let list = [];
    try {
      list = await references.options(f, s.raw, account);
    } catch {
      // the list stays as it is: the stored value is still chosen
    }
    const raw = s.raw[f.name];
    const own = f.references.key === 'code' ? (o) => (getLang() === 'zh' ? `${o.name}（${o.value}）` : `${o.name} (${o.value})`) : (o) => o.name;
    sel.replaceChildren();
    if (!f.required || raw === '') sel.append(el('option', { value: '' }, f.required ? t('edit.choose') : t('edit.none')));
    for (const o of list) sel.append(el('option', { value: o.value }, own(o)));
    if (raw !== '' && !list.some((o) => o.value === raw)) sel.append(el('option', { value: raw }, raw));
    sel.value = raw;
    sel.disabled = false;
    sel.dataset.loaded = 'true';
  }

  function checkList(f) {
    const raw = s.raw[f.name];
    const box = el('div', { class: 'edit-checks', id: idOf(f.name), role: 'group' });
    for (const v of enumValues(f.enum)) {
      const input = el('input', { type: 'checkbox', value: v, checked: raw.includes(v) });
      input.addEventListener('change', () => {
        const now = [...box.querySelectorAll('input:checked')].map((x) => x.value);
        changed(f, now, true);
      });
      box.append(el('label', { class: 'edit-check' }, input, enumLabel(f.enum, v, getLang())));
    }
    return box;
  }

  function textInput(f) {
    const input = el('input', {
      type: 'text', id: idOf(f.name), name: f.name, value: s.raw[f.name], autocomplete: 'off',
      inputmode: INPUT_MODES[f.kind] || undefined,
    });
    input.addEventListener('input', () => changed(f, input.value, false));
    input.addEventListener('change', () => changed(f, input.value, true));
    return input;
  }

  function control(f) {
    if (f.references) return referenceChoice(f);
    if (f.kind === 'enum_list') return checkList(f);
    if (f.kind === 'enum') return choice(f, enumValues(f.enum).map((v) => [v, enumLabel(f.enum, v, getLang())]), { empty: !f.required });
    if (f.kind === 'boolean') return choice(f, [['true', t('feature.yes')], ['false', t('feature.no')]], { empty: !f.required });
    return textInput(f);
  }

  /** A change of `f` to `raw`; `settled` (left the field, chose a value): its message is shown. */
  function changed(f, raw, settled) {
    setRaw(s, f.name, raw);
    const r = rows.get(f.name);
    if (settled || r.message.textContent) showError(f.name);
    r.row.toggleAttribute('data-changed', s.mode === 'edit' && fieldChanged(s, f));
    onChange?.(f.name);
  }

  function showError(name) {
    const r = rows.get(name);
    if (!r) return;
    const text = problemText(s.errors[name]);
    r.message.textContent = text;
    r.row.toggleAttribute('data-invalid', Boolean(text));
    const target = r.control.matches('input, select') ? r.control : r.control.querySelector('input');
    target?.setAttribute('aria-invalid', String(Boolean(text)));
  }

  const form = el('div', { class: 'edit-fields' });
  for (const f of s.fields) {
    const message = el('div', { class: 'field-error', id: `${idOf(f.name)}-msg`, role: 'alert' });
    const c = control(f);
    c.setAttribute('aria-describedby', message.id);
    const hint = rangeHint(f);
    const row = el('div', { class: 'edit-field', dataset: { field: f.name, kind: f.kind } },
      el('label', { for: idOf(f.name), class: 'edit-label' }, label(f.name),
        f.required ? el('span', { class: 'req', title: t('edit.required'), 'aria-label': t('edit.required') }, ' *') : null),
      el('div', { class: 'edit-control' }, c, hint ? el('div', { class: 'edit-hint' }, hint) : null, message));
    rows.set(f.name, { row, control: c, message });
    row.toggleAttribute('data-changed', s.mode === 'edit' && fieldChanged(s, f));
    form.append(row);
  }
  root.append(form);
  for (const name of Object.keys(s.errors)) showError(name);

  return {
    /** Shows every field's message (after a check of all, or the server's problems). */
    showErrors() {
      for (const name of rows.keys()) showError(name);
    },
    /** Sets a value not typed by the user (filled from where the feature lies). */
    setValue(name, raw) {
      const r = rows.get(name);
      if (!r) return;
      setRaw(s, name, raw, { byHand: false });
      if (r.control.tagName === 'SELECT') {
        if (![...r.control.options].some((o) => o.value === raw)) r.control.append(el('option', { value: raw }, raw));
        r.control.value = raw;
      } else {
        r.control.value = raw;
      }
      showError(name);
    },
    /** Loads the choices of reference fields again (their community changed). */
    refreshChoices(names) {
      for (const name of names) {
        const f = s.fields.find((x) => x.name === name);
        const r = rows.get(name);
        if (f?.references && r) fillChoices(f, r.control);
      }
    },
  };
}
