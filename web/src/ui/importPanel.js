// The import page (导入数据): a signed-in editor uploads office files — Excel ledgers, CSV,
// Shapefiles (or a zip of them), GeoJSON, GeoPackage — and sees how they were read (format,
// layer, encoding, coordinate system, sheet, every column and the field it fills), corrects any
// of it, reads every problem (file, row, column, reason) in the page's language, previews the
// features on the map, downloads the problems as a spreadsheet, and commits the import (one
// audited change) or discards it. State and words: ../imports.js; requests: ../importApi.js.

import { el } from '../dom.js';
import { fieldLabel } from '../enums.js';
import * as I from '../imports.js';
import { checkImport, commitImport, discardImport, importProblems, uploadFiles } from '../importApi.js';
import { errorLine } from '../errors.js';
import { getLang, onLangChange, t } from '../i18n.js';
import { getSession, onSessionChange } from '../session.js';

const PREVIEW_SOURCE = 'import-preview';
const PREVIEW_COLOR = '#ff6d00';
/** Problems listed on the page; the spreadsheet has them all. */
const PROBLEMS_SHOWN = 200;

/** Whether an account may import (any role that edits a layer). */
export function mayImport(account) {
  return Boolean(account && account.role && account.role !== 'viewer');
}

export function createImportPanel({ el: root, openButton, map, layerTitle, fitTo, onCommitted }) {
  let open = false;
  let phase = 'idle'; // idle | uploading | checking | checked | committing | done
  let check = null;
  let options = I.emptyOptions();
  let message = null; // { kind: 'info' | 'ok' | 'error', key, vars } or { kind, text }
  let result = null;
  let collapsed = false;
  let chosen = [];

  // ---- the preview on the map --------------------------------------------------------------

  function ensurePreviewLayers() {
    if (!map.getStyle() || map.getSource(PREVIEW_SOURCE)) return;
    map.addSource(PREVIEW_SOURCE, { type: 'geojson', data: I.previewData(null) });
    map.addLayer({ id: 'import-preview-fill', type: 'fill', source: PREVIEW_SOURCE, filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': PREVIEW_COLOR, 'fill-opacity': 0.25 } });
    map.addLayer({ id: 'import-preview-line', type: 'line', source: PREVIEW_SOURCE, filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': PREVIEW_COLOR, 'line-width': 2, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'import-preview-point', type: 'circle', source: PREVIEW_SOURCE, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': PREVIEW_COLOR, 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
  }

  function showPreview(data) {
    const apply = () => {
      ensurePreviewLayers();
      map.getSource(PREVIEW_SOURCE)?.setData(data);
    };
    if (map.isStyleLoaded()) apply();
    else map.once('load', apply);
  }

  function clearPreview() {
    if (map.getSource(PREVIEW_SOURCE)) map.getSource(PREVIEW_SOURCE).setData(I.previewData(null));
  }

  // ---- requests ----------------------------------------------------------------------------

  function say(kind, key, vars = {}) {
    message = { kind, key, vars };
  }

  function failed(e) {
    // A refused commit answers with the check: show its problems.
    if (e?.status === 422 && e.details?.problems) {
      check = { ...e.details, code: undefined };
      say('error', 'import.refused', { n: check.problems.length });
    } else if (e?.status === 404) {
      check = null;
      say('error', 'import.expired');
    } else {
      say('error', 'import.failed', { error: e });
    }
  }

  async function upload() {
    if (!chosen.length) {
      say('error', 'import.choose_first');
      render();
      return;
    }
    phase = 'uploading';
    options = I.emptyOptions();
    result = null;
    say('info', 'import.uploading', { n: chosen.length });
    render();
    try {
      check = await uploadFiles(chosen);
      options = I.optionsAfter(options, check);
      message = null;
      zoomToPreview();
    } catch (e) {
      check = null;
      failed(e);
    }
    phase = check ? 'checked' : 'idle';
    render();
  }

  async function recheck() {
    if (!check) return;
    phase = 'checking';
    say('info', 'import.checking');
    render();
    try {
      check = await checkImport(check.id, I.requestOptions(options));
      options = I.optionsAfter(options, check);
      message = null;
      showPreview(I.previewData(check));
    } catch (e) {
      failed(e);
    }
    phase = check ? 'checked' : 'idle';
    render();
  }

  async function commit() {
    if (!I.canCommit(check)) return;
    phase = 'committing';
    say('info', 'import.committing', { n: check.features });
    render();
    try {
      result = { ...(await commitImport(check.id, I.requestOptions(options))), bbox: check.bbox };
      phase = 'done';
      check = null;
      chosen = [];
      clearPreview();
      say('ok', 'import.done', { n: result.features, created: result.created, updated: result.updated, v: result.data_version });
      onCommitted?.(result);
    } catch (e) {
      failed(e);
      phase = check ? 'checked' : 'idle';
    }
    render();
  }

  async function discard() {
    const id = check?.id;
    reset();
    if (id) await discardImport(id).catch(() => {});
  }

  function reset() {
    phase = 'idle';
    check = null;
    result = null;
    chosen = [];
    options = I.emptyOptions();
    message = null;
    clearPreview();
    render();
  }

  async function download(format) {
    try {
      const blob = await importProblems(check.id, format);
      const a = el('a', { href: URL.createObjectURL(blob), download: `${t('import.problems_file')}.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    } catch (e) {
      failed(e);
      render();
    }
  }

  function zoomToPreview() {
    showPreview(I.previewData(check));
    if (check?.bbox) fitTo(check.bbox, 17);
  }

  // ---- drawing -----------------------------------------------------------------------------

  const formatName = (f) => t(`import.format.${f}`);

  function head() {
    return el('header', { class: 'panel-head' },
      el('div', {},
        el('div', { class: 'panel-kicker' }, t('import.kicker')),
        el('h2', {}, t('import.title'))),
      el('button', { type: 'button', class: 'icon-button', id: 'import-collapse', title: t(collapsed ? 'import.expand' : 'import.collapse'),
        'aria-expanded': String(!collapsed), onclick: () => { collapsed = !collapsed; render(); } }, collapsed ? '▾' : '▴'),
      el('button', { type: 'button', class: 'icon-button', id: 'import-close', title: t('import.close'), 'aria-label': t('import.close'),
        onclick: () => setOpen(false) }, '×'));
  }

  function chooser() {
    const input = el('input', { type: 'file', id: 'import-files', multiple: true,
      accept: '.xlsx,.xls,.xlsm,.csv,.shp,.shx,.dbf,.prj,.cpg,.geojson,.json,.gpkg,.zip' });
    input.addEventListener('change', () => {
      chosen = [...input.files];
      render();
    });
    const drop = el('label', { class: 'import-drop', for: 'import-files' },
      el('b', {}, t('import.choose')),
      el('span', {}, t('import.kinds')),
      chosen.length ? el('span', { class: 'import-chosen' }, chosen.map((f) => f.name).join('、')) : null);
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      chosen = [...e.dataTransfer.files];
      render();
    });
    const busy = phase === 'uploading';
    return el('div', { class: 'import-step' }, drop, input,
      el('div', { class: 'import-buttons' },
        el('button', { type: 'button', id: 'import-upload', class: 'primary', disabled: busy || !chosen.length, onclick: upload },
          t(busy ? 'import.uploading_short' : 'import.upload'))));
  }

  function select(id, value, choices, onchange) {
    const s = el('select', { id }, choices.map(([v, label]) => el('option', { value: v, selected: v === value }, label)));
    s.addEventListener('change', () => onchange(s.value));
    return s;
  }

  function fileLine(f) {
    const bits = [formatName(f.format)];
    if (f.sheet) bits.push(t('import.sheet_named', { sheet: f.sheet }));
    if (f.header_rows) {
      const [a, b] = f.header_rows;
      bits.push(t('import.header_at', { rows: a === b ? `${a}` : `${a}–${b}` }));
    }
    if (f.rows !== undefined) bits.push(t('import.rows', { n: f.rows }));
    bits.push(t('import.features_read', { n: f.features }));
    return el('li', { class: 'import-file', dataset: { file: f.file } },
      el('b', {}, f.file), ' ', el('span', { class: 'import-meta' }, bits.join(' · ')));
  }

  function detectedSection() {
    const first = check.files?.[0];
    const layerChoices = [['', t('import.layer.choose')], ...(check.layers || []).map((l) => [l, layerTitle(l)])];
    const detectedEncoding = first?.encoding ? t('import.auto_is', { what: first.encoding }) : t('import.auto');
    const encodingChoices = I.ENCODINGS.map((e) => [e, e ? e.toUpperCase() : detectedEncoding]);
    const crsAuto = first?.crs ? t('import.auto_is', { what: `${first.crs.name} · ${t(`import.crs_from.${first.crs.from}`)}` }) : t('import.auto');
    const crsKnown = I.CRS_CHOICES.includes(options.crs);
    const crsChoices = [...I.CRS_CHOICES.map((c) => [c, c ? t(`import.crs.${c}`) : crsAuto]), ['other', t('import.crs.other')]];
    const rows = [
      [t('import.layer'), select('import-layer', options.layer, layerChoices, (v) => { options = { ...options, layer: v, columns: {} }; recheck(); })],
      [t('import.encoding'), select('import-encoding', options.encoding, encodingChoices, (v) => { options = { ...options, encoding: v }; recheck(); })],
    ];
    const crsSelect = select('import-crs', crsKnown ? options.crs : 'other', crsChoices, (v) => {
      if (v === 'other') {
        options = { ...options, crs: options.crs && !crsKnown ? options.crs : 'EPSG:' };
        render();
        root.querySelector('#import-crs-code')?.focus();
        return;
      }
      options = { ...options, crs: v };
      recheck();
    });
    const crsCell = el('div', { class: 'import-crs' }, crsSelect);
    if (!crsKnown) {
      const code = el('input', { id: 'import-crs-code', value: options.crs, placeholder: 'EPSG:4524', size: 12 });
      code.addEventListener('change', () => { options = { ...options, crs: code.value.trim() }; recheck(); });
      crsCell.append(code, el('div', { class: 'import-hint' }, t('import.crs.gk_hint')));
    }
    rows.push([t('import.crs'), crsCell]);
    if (first?.sheets?.length > 1) {
      rows.push([t('import.sheet'), select('import-sheet', options.sheet || first.sheet, first.sheets.map((s) => [s, s]), (v) => { options = { ...options, sheet: v, columns: {} }; recheck(); })]);
    }
    const skip = el('input', { type: 'checkbox', id: 'import-skip-unmatched', checked: options.skip_unmatched });
    skip.addEventListener('change', () => { options = { ...options, skip_unmatched: skip.checked }; recheck(); });
    return el('section', { class: 'import-section', id: 'import-detected' },
      el('h3', {}, t('import.detected')),
      el('ul', { class: 'import-files' }, (check.files || []).map(fileLine)),
      el('div', { class: 'import-grid' }, rows.flatMap(([label, control]) => [el('label', {}, label), control])),
      el('label', { class: 'import-check' }, skip, ' ', t('import.skip_unmatched')));
  }

  function columnsSection() {
    const files = (check.files || []).filter((f) => f.columns?.length);
    if (!files.length) return null;
    const lang = getLang();
    const words = { lon: t('import.target.lon'), lat: t('import.target.lat'), wkt: t('import.target.wkt'), id: t('import.target.id'), version: t('import.target.version') };
    return el('section', { class: 'import-section', id: 'import-columns' },
      el('h3', {}, t('import.columns')),
      files.map((f) => {
        const targets = I.columnTargets(f.layer);
        return el('table', { class: 'import-columns', dataset: { file: f.file } },
          el('thead', {}, el('tr', {}, el('th', {}, t('import.col.header')), el('th', {}, t('import.col.field')))),
          el('tbody', {}, f.columns.map((c) => {
            const mapped = c.header in options.columns ? options.columns[c.header] : null;
            const autoText = c.how === 'unknown'
              ? t('import.col.unknown')
              : c.field ? t('import.auto_is', { what: I.targetLabel(f.layer, c.field, lang, words) }) : t('import.col.skipped');
            const value = mapped === null ? '__auto' : mapped;
            const choices = [['__auto', autoText], ['', t('import.col.leave_out')], ...targets.map((x) => [x, I.targetLabel(f.layer, x, lang, words)])];
            const s = select(`import-col-${f.columns.indexOf(c)}`, value, choices, (v) => {
              options = I.mapColumn(options, c.header, v === '__auto' ? null : v);
              recheck();
            });
            s.dataset.header = c.header;
            const status = c.how === 'unknown' && mapped === null
              ? el('div', { class: 'import-hint bad' }, t('import.col.closest', { list: (c.closest || []).map((x) => I.targetLabel(f.layer, x, lang, words)).join('、') }))
              : null;
            return el('tr', { class: `how-${mapped === null ? c.how : 'mapped'}`, dataset: { header: c.header } },
              el('td', { class: 'import-header' }, c.header), el('td', {}, s, status));
          })));
      }));
  }

  function summarySection() {
    const n = check.problems?.length || 0;
    const parts = [];
    if (n === 0 && check.features > 0) {
      parts.push(el('div', { class: 'import-summary ok', id: 'import-summary' },
        t('import.summary', { n: check.features, created: check.created, updated: check.updated })));
    } else if (n === 0) {
      parts.push(el('div', { class: 'import-summary bad', id: 'import-summary' }, t('import.nothing')));
    } else {
      parts.push(el('div', { class: 'import-summary bad', id: 'import-summary', role: 'alert' }, t('import.problems_count', { n })));
    }
    if (check.features > 0) {
      parts.push(el('div', { class: 'import-preview-note' },
        el('i', { class: 'import-swatch' }),
        t(check.preview_truncated ? 'import.preview_some' : 'import.preview', { n: check.features }),
        ' ', el('button', { type: 'button', class: 'linkish', id: 'import-zoom', onclick: zoomToPreview }, t('import.zoom'))));
    }
    return parts;
  }

  function problemsSection() {
    const rows = I.problemRows(check, getLang());
    if (!rows.length) return null;
    const shown = rows.slice(0, PROBLEMS_SHOWN);
    // The file is named in its own column only when the problems come from several.
    const several = new Set(rows.map((r) => r.file)).size > 1;
    return el('section', { class: 'import-section', id: 'import-problems' },
      el('h3', {}, t('import.problems')),
      el('div', { class: 'import-downloads' },
        el('button', { type: 'button', id: 'import-problems-xlsx', onclick: () => download('xlsx') }, t('import.download_xlsx')),
        el('button', { type: 'button', id: 'import-problems-csv', onclick: () => download('csv') }, t('import.download_csv'))),
      el('table', { class: 'import-problem-table' },
        el('thead', {}, el('tr', {}, (several ? ['file', 'row', 'column', 'value', 'reason'] : ['row', 'column', 'value', 'reason']).map((k) => el('th', {}, t(`import.p.${k}`))))),
        el('tbody', {}, shown.map((r) => el('tr', { class: 'import-problem', dataset: { field: r.field, row: r.row ?? '', file: r.file } },
          several ? el('td', { class: 'p-file' }, r.file) : null,
          el('td', { class: 'p-row n' }, r.row ?? (r.index !== null ? t('import.p.feature', { n: r.index + 1 }) : '')),
          el('td', { class: 'p-column' }, r.column || fieldText(r.field)),
          el('td', { class: 'p-value' }, r.value),
          el('td', { class: 'p-reason' }, r.reason))))),
      rows.length > shown.length ? el('p', { class: 'import-hint' }, t('import.more_problems', { n: rows.length - shown.length })) : null);
  }

  function fieldText(field) {
    const layer = options.layer || check?.files?.[0]?.layer;
    const label = layer ? fieldLabel(layer, field, getLang()) : null;
    if (field === 'geometry') return t('problems.geometry');
    return label || field;
  }

  function actions() {
    const busy = phase === 'checking' || phase === 'committing';
    return el('div', { class: 'import-buttons import-actions' },
      el('button', { type: 'button', id: 'import-commit', class: 'primary', disabled: busy || !I.canCommit(check), onclick: commit },
        t(phase === 'committing' ? 'import.committing_short' : 'import.commit', { n: check.features })),
      el('button', { type: 'button', id: 'import-recheck', disabled: busy, onclick: recheck }, t('import.recheck')),
      el('button', { type: 'button', id: 'import-discard', class: 'danger-light', disabled: busy, onclick: discard }, t('import.discard')));
  }

  function messageLine() {
    if (!message) return null;
    const text = message.vars?.error ? t(message.key, { reason: errorLine(message.vars.error, t) }) : t(message.key, message.vars);
    return el('div', { class: `import-message ${message.kind}`, id: 'import-message', role: message.kind === 'error' ? 'alert' : 'status' },
      phase === 'uploading' || phase === 'checking' || phase === 'committing' ? el('span', { class: 'pl-spinner' }) : null, text);
  }

  function render() {
    root.replaceChildren();
    root.hidden = !open;
    document.body.dataset.import = open ? 'open' : '';
    if (!open) return;
    root.dataset.phase = phase;
    root.append(head());
    if (collapsed) {
      root.append(messageLine() || '');
      return;
    }
    const body = el('div', { class: 'import-body' });
    if (phase === 'done') {
      body.append(messageLine() || '', el('div', { class: 'import-buttons' },
        result?.bbox ? el('button', { type: 'button', id: 'import-show', onclick: () => fitTo(result.bbox, 17) }, t('import.show')) : null,
        el('button', { type: 'button', id: 'import-again', class: 'primary', onclick: reset }, t('import.again'))));
      root.append(body);
      return;
    }
    if (!check) {
      body.append(el('p', { class: 'import-intro' }, t('import.intro')), chooser(), messageLine() || '');
      root.append(body);
      return;
    }
    body.append(...[messageLine(), ...summarySection(), problemsSection(), detectedSection(), columnsSection(), actions()].filter(Boolean));
    root.append(body);
  }

  function setOpen(next) {
    open = Boolean(next) && mayImport(getSession());
    if (!open) clearPreview();
    else if (check) showPreview(I.previewData(check));
    render();
  }

  function renderButton() {
    openButton.hidden = !mayImport(getSession());
    openButton.textContent = t('import.open');
    openButton.setAttribute('aria-expanded', String(open));
  }

  openButton.addEventListener('click', () => setOpen(!open));
  onSessionChange(() => {
    renderButton();
    if (!mayImport(getSession()) && open) setOpen(false);
  });
  onLangChange(() => {
    renderButton();
    render();
  });
  renderButton();
  render();
  return { setOpen, get state() { return { phase, check, options, result }; } };
}
