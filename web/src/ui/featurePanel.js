// The feature panel: every attribute of one feature in plain words, fetched from the OGC item
// endpoint. Labels, attribute order and enum values come from the server's schema (`/api/enums`,
// ../enums.js): enum values are shown in words, booleans read 是/否 (Yes/No), and codes and ids
// of related features are shown with the related feature's name. For an account that may change
// the feature, `editing` (../edit/controller.js) adds 编辑 and 删除 and draws its form here
// (`showEditor`), lending the panel's header and words for values.

import { auditUrl, fetchAudit, fetchItem, search } from '../api.js';
import { el as h } from '../dom.js';
import { enumLabel, fieldEnum, fieldLabel, fieldOrder, layerFields } from '../enums.js';
import { errorLine } from '../errors.js';
import { getLang, t, onLangChange } from '../i18n.js';

const nameCache = new Map();

/** Change-history entries listed in the panel (the CSV has them all). */
const HISTORY_LIMIT = 50;

/** The name of the feature `ref` (`{ layer, key }` of a field naming another, from `/api/enums`) whose code (or id) is `value`, or null. */
async function referencedName(ref, value) {
  const key = `${ref.layer}:${ref.key}:${value}`;
  if (!nameCache.has(key)) {
    const p = (async () => {
      if (ref.key === 'id') return (await fetchItem(ref.layer, value)).properties?.name ?? null;
      const { results } = await search(String(value), { limit: 50 });
      return results.find((r) => r.layer === ref.layer && r.code === String(value))?.name ?? null;
    })().catch(() => null);
    nameCache.set(key, p);
  }
  return nameCache.get(key);
}

export function createFeaturePanel({ el, layerTitle, onZoom, onClose, editing = null }) {
  // { kind: 'feature', layer, feature, notice? } | { kind: 'cell', props } | { kind: 'loading' | 'error', ... }
  // | { kind: 'editor', render }: the editing form draws itself
  let current = null;
  let request = null;

  function label(layer, field) {
    if (field === 'version') return t('feature.version');
    const served = fieldLabel(layer, field, getLang());
    if (served) return served;
    if (field === 'count') return t('cell.count');
    return field;
  }

  function formatValue(layer, field, value) {
    if (value === null || value === undefined || value === '') return t('feature.empty');
    if (typeof value === 'boolean') return value ? t('feature.yes') : t('feature.no');
    const enumName = fieldEnum(layer, field);
    if (enumName) {
      const list = Array.isArray(value) ? value : String(value).split(',').filter(Boolean);
      return list.map((v) => enumLabel(enumName, v, getLang())).join(getLang() === 'zh' ? '、' : ', ');
    }
    if (typeof value === 'number') {
      // Quantities get digit grouping; years, ids and versions are shown as they are.
      if (/year|_id$|^id$|version/.test(field)) return String(value);
      return value.toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en');
    }
    if (Array.isArray(value)) return value.join(', ');
    return String(value);
  }

  /** When `field` of `layer` names another feature, `node` (showing its code or id) gets that feature's name too once known. */
  function nameReference(node, layer, field, value) {
    const ref = layerFields(layer).find((f) => f.name === field)?.references;
    if (!ref || value === null || value === undefined || value === '') return;
    const shown = current;
    referencedName(ref, value).then((name) => {
      if (name && current === shown) node.textContent = getLang() === 'zh' ? `${name}（${value}）` : `${name} (${value})`;
    });
  }

  function header(title, subtitle, onCloseClick = hide) {
    const h = document.createElement('header');
    h.className = 'panel-head';
    const text = document.createElement('div');
    const small = document.createElement('div');
    small.className = 'panel-kicker';
    small.textContent = subtitle;
    const h2 = document.createElement('h2');
    h2.textContent = title;
    h2.className = 'feature-name';
    text.append(small, h2);
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'icon-button';
    close.textContent = '×';
    close.title = t('feature.close');
    close.setAttribute('aria-label', t('feature.close'));
    close.addEventListener('click', () => onCloseClick());
    h.append(text, close);
    return h;
  }

  function row(dl, field, name, value) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.dataset.field = field;
    dd.textContent = value;
    dl.append(dt, dd);
    return dd;
  }

  function render() {
    el.replaceChildren();
    delete el.dataset.edit;
    if (!current) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    if (current.kind === 'editor') {
      current.render(el, { header, label, formatValue, formatTime, nameReference });
      return;
    }
    if (current.kind === 'loading') {
      el.append(header(t('feature.loading'), layerTitle(current.layer)));
      return;
    }
    if (current.kind === 'error') {
      el.append(header(layerTitle(current.layer), layerTitle(current.layer)));
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = t('feature.error', { reason: errorLine(current.error, t) });
      el.append(p);
      return;
    }
    if (current.kind === 'cell') {
      el.append(header(t('cell.title'), layerTitle('buildings')));
      const p = document.createElement('p');
      p.textContent = t('cell.text', { count: current.props.count, households: current.props.households });
      const dl = document.createElement('dl');
      dl.className = 'attributes';
      row(dl, 'count', t('cell.count'), formatValue('buildings', 'count', current.props.count));
      row(dl, 'households', label('buildings', 'households'), formatValue('buildings', 'households', current.props.households));
      el.append(p, dl);
      return;
    }
    const { layer, feature } = current;
    const props = feature.properties || {};
    el.dataset.layer = layer;
    el.dataset.id = String(feature.id);
    // A feature without a name or code (an unnamed footway) is called by its kind.
    const kind = !props.name && !props.code && props.kind && fieldEnum(layer, 'kind') ? enumLabel(fieldEnum(layer, 'kind'), props.kind, getLang()) : null;
    el.append(header(props.name || props.code || kind || `#${feature.id}`, layerTitle(layer)));
    if (current.notice) {
      const n = document.createElement('p');
      n.className = 'edit-notice';
      n.setAttribute('role', 'status');
      n.textContent = current.notice;
      el.append(n);
    }

    const badges = document.createElement('div');
    badges.className = 'badges';
    if (props.three_no === true) badges.append(badge(t('feature.three_no.badge'), 'badge-three-no'));
    else if (props.missing_flags > 0) badges.append(badge(t('feature.missing.badge', { n: props.missing_flags }), 'badge-missing'));
    if (props.scattered === true) badges.append(badge(t('feature.scattered.badge'), 'badge-scattered'));
    if (props.location_approximate === true) badges.append(badge(t('feature.approximate.badge'), 'badge-approximate'));
    if (badges.childElementCount) el.append(badges);

    const dl = document.createElement('dl');
    dl.className = 'attributes';
    row(dl, 'layer', t('feature.layer'), layerTitle(layer));
    row(dl, 'id', t('feature.id'), String(feature.id));
    const order = fieldOrder(layer);
    const fields = [...order.filter((f) => f in props), ...Object.keys(props).filter((f) => !order.includes(f) && f !== 'version')];
    if ('version' in props) fields.push('version');
    for (const field of fields) {
      const value = props[field];
      const dd = row(dl, field, label(layer, field), formatValue(layer, field, value));
      nameReference(dd, layer, field, value);
    }
    el.append(dl);

    const actions = document.createElement('div');
    actions.className = 'panel-actions';
    const zoom = document.createElement('button');
    zoom.type = 'button';
    zoom.textContent = t('feature.zoom');
    zoom.addEventListener('click', () => onZoom?.(feature));
    actions.append(zoom);
    if (editing?.mayEdit(layer, feature)) {
      actions.prepend(h('button', { type: 'button', id: 'feature-edit', class: 'primary', onclick: () => editing.edit(layer, feature) }, t('edit.edit')));
      actions.append(h('button', { type: 'button', id: 'feature-delete', class: 'danger', onclick: () => editing.remove(layer, feature) }, t('edit.delete')));
    }
    el.append(actions);
    el.append(historySection(layer, feature));
  }

  // ---- 变更记录 (change history, from the audit log) ----------------------------------------------

  /** The audit entries of the shown feature: null while loading, or { entries } / { error }. */
  let history = null;
  let historyOpen = false;

  function formatTime(at) {
    const d = new Date(at);
    if (Number.isNaN(d.getTime())) return String(at);
    return d.toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
    });
  }

  /** The operation in words: an edit that created or deleted the feature says so. */
  function operationName(entry) {
    const op = entry.operation;
    if (op === 'edit' && !entry.before && entry.after) return t('history.op.create');
    if (op === 'edit' && entry.before && !entry.after) return t('history.op.delete');
    const key = `history.op.${op}`;
    const name = t(key);
    return name === key ? op : name;
  }

  /** The attributes (and geometry) an entry changed: [{ field, before, after }]. */
  function changedFields(entry) {
    const before = entry.before?.properties;
    const after = entry.after?.properties;
    if (!before || !after) return [];
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => f !== 'version');
    const order = fieldOrder(entry.layer);
    fields.sort((a, b) => (order.includes(a) ? order.indexOf(a) : 999) - (order.includes(b) ? order.indexOf(b) : 999));
    const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const changes = fields.filter((f) => !same(before[f], after[f])).map((f) => ({ field: f, before: before[f], after: after[f] }));
    if (entry.before.geometry && entry.after.geometry && !same(entry.before.geometry, entry.after.geometry)) {
      changes.push({ field: 'geometry' });
    }
    return changes;
  }

  function historyEntry(layer, entry) {
    const li = document.createElement('li');
    li.className = 'history-entry';
    li.dataset.operation = entry.operation;
    li.dataset.auditId = String(entry.id);
    const head = document.createElement('div');
    head.className = 'history-head';
    const op = document.createElement('span');
    op.className = `history-op op-${entry.operation}`;
    op.textContent = operationName(entry);
    const who = document.createElement('span');
    who.className = 'history-actor';
    who.textContent = entry.actor;
    const when = document.createElement('time');
    when.className = 'history-time';
    when.dateTime = entry.at;
    when.textContent = formatTime(entry.at);
    head.append(op, who, when);
    li.append(head);
    const changes = changedFields(entry);
    if (changes.length) {
      const ul = document.createElement('ul');
      ul.className = 'history-changes';
      for (const c of changes) {
        const item = document.createElement('li');
        item.dataset.field = c.field;
        const name = document.createElement('span');
        name.className = 'history-field';
        if (c.field === 'geometry') {
          name.textContent = t('history.geometry');
          item.append(name);
        } else {
          name.textContent = label(layer, c.field);
          const from = document.createElement('del');
          from.textContent = formatValue(layer, c.field, c.before);
          const to = document.createElement('ins');
          to.textContent = formatValue(layer, c.field, c.after);
          item.append(name, ' ', from, ' → ', to);
        }
        ul.append(item);
      }
      li.append(ul);
    } else if (entry.before && entry.after) {
      const p = document.createElement('div');
      p.className = 'history-note';
      p.textContent = t('history.no_change');
      li.append(p);
    }
    return li;
  }

  function historySection(layer, feature) {
    const details = document.createElement('details');
    details.className = 'history';
    details.open = historyOpen;
    details.addEventListener('toggle', () => { historyOpen = details.open; });
    const summary = document.createElement('summary');
    const entries = history?.entries;
    summary.textContent = entries ? t('history.title.count', { n: history.more ? `${entries.length}+` : entries.length }) : t('history.title');
    details.append(summary);
    if (!history) {
      const p = document.createElement('p');
      p.className = 'history-note';
      p.textContent = t('feature.loading');
      details.append(p);
    } else if (history.error) {
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = t('history.error', { reason: errorLine(history.error, t) });
      details.append(p);
    } else if (!entries.length) {
      const p = document.createElement('p');
      p.className = 'history-note';
      p.textContent = t('history.none');
      details.append(p);
    } else {
      const ol = document.createElement('ol');
      ol.className = 'history-list';
      for (const e of entries) ol.append(historyEntry(layer, e));
      details.append(ol);
      if (history.more) {
        const p = document.createElement('p');
        p.className = 'history-note';
        p.textContent = t('history.more', { n: HISTORY_LIMIT });
        details.append(p);
      }
    }
    const csv = document.createElement('a');
    csv.className = 'history-csv';
    csv.href = auditUrl({ layer, feature_id: feature.id, format: 'csv', limit: 100000 });
    csv.download = `audit-${layer}-${feature.id}.csv`;
    csv.textContent = t('history.csv');
    details.append(csv);
    return details;
  }

  async function loadHistory(layer, id, signal) {
    try {
      const { entries } = await fetchAudit({ layer, feature_id: id, limit: HISTORY_LIMIT + 1 }, { signal });
      return { entries: entries.slice(0, HISTORY_LIMIT), more: entries.length > HISTORY_LIMIT };
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      return { entries: null, error: e };
    }
  }

  function badge(text, cls) {
    const s = document.createElement('span');
    s.className = `badge ${cls}`;
    s.textContent = text;
    return s;
  }

  /**
   * Fetches and shows feature `id` of `layer`; resolves to the GeoJSON feature (or null on error).
   * `openHistory` unfolds its change history (after a write, the new entry shows at once);
   * `notice` is said above its attributes (保存成功).
   */
  async function show(layer, id, { openHistory = false, notice = null } = {}) {
    request?.abort();
    const ctrl = new AbortController();
    request = ctrl;
    current = { kind: 'loading', layer, id };
    history = null;
    if (openHistory) historyOpen = true;
    render();
    try {
      const feature = await fetchItem(layer, id, { signal: ctrl.signal });
      if (request !== ctrl) return null;
      current = { kind: 'feature', layer, feature, notice };
      render();
      loadHistory(layer, id, ctrl.signal).then((h) => {
        if (request !== ctrl) return;
        history = h;
        render();
      }).catch(() => {});
      return feature;
    } catch (e) {
      if (e.name === 'AbortError') return null;
      current = { kind: 'error', layer, error: e };
      render();
      return null;
    }
  }

  function showCell(props) {
    request?.abort();
    current = { kind: 'cell', props };
    render();
  }

  function hide() {
    request?.abort();
    current = null;
    delete el.dataset.layer;
    delete el.dataset.id;
    render();
    onClose?.();
  }

  /** Hands the panel to the editing form: `render(el, { header, label, formatValue, formatTime, nameReference })` draws it, again on every `refresh`. */
  function showEditor(draw) {
    request?.abort();
    current = { kind: 'editor', render: draw };
    delete el.dataset.layer;
    delete el.dataset.id;
    render();
  }

  onLangChange(render);
  return { show, showCell, showEditor, hide, refresh: render, el, get current() { return current; } };
}
