// Editing on the map (地图编辑): wires the form's state (./state.js), its fields (./form.js), the
// drawing (./draw.js), the conflict view (./conflict.js) and the confirmation (./dialog.js) to
// the feature panel, the map and the feature API. An account sees 编辑 / 删除 on a feature its
// role and scope may change, and ＋ 新建 on the map for the layers it may add to; everyone else
// keeps the read-only panel.
//
// Steps: `choose` (a new feature's layer and shape) → `draw` (clicked on the map) → `form`
// (attributes; the shape stays editable on the map) → saved, or `conflict` (409: theirs beside
// mine) → back to `form` on top of theirs, or discarded. After every write the owner's
// `onWritten` reloads what shows the data (tiles, analyses) and the panel shows the stored
// feature with its change history open.

import { createItem, deleteItem, fetchAudit, fetchItem, geometryBbox, replaceItem } from '../api.js';
import { creatableLayers, mayEdit, scopeCovers } from '../access.js';
import { el } from '../dom.js';
import { geometryTypes, layerFields } from '../enums.js';
import { errorLine } from '../errors.js';
import { getLang, onLangChange, t } from '../i18n.js';
import { getSession, onSessionChange } from '../session.js';
import { conflictView } from './conflict.js';
import { confirmDialog } from './dialog.js';
import { createDrawing } from './draw.js';
import { createForm, problemText } from './form.js';
import { areaOf, lineLength } from './places.js';
import { createReferences } from './references.js';
import * as S from './state.js';

/** Fields whose choices are the chosen community's features. */
const BY_COMMUNITY = ['grid_code', 'compound_id', 'station_id'];

/**
 * `panel`: the feature panel (`showEditor`, `refresh`, `hide`, `current`). `openFeature(layer,
 * id, opts)` shows a stored feature in it. `layerIds`: atlas layer → its map layers (hidden for
 * the feature being edited). `onWritten({ layer, id, mode })` after every committed write.
 */
export function createEditing({ map, panel, layerTitle, layerIds, openFeature, setSelection, onWritten }) {
  let s = null; // the form session (./state.js), from `draw` on
  let step = null; // 'choose' | 'draw' | 'form' | 'conflict' | 'deleted'
  let collapsed = false; // the panel folded to a bar while the shape is adjusted on a narrow screen
  const chooser = { layer: null, shape: null };
  let drawShape = null; // Point, Polygon or LineString, while a shape is drawn
  let deletedText = '';
  let tools = null; // what the panel lends: header, label, formatValue, formatTime, nameReference
  let formApi = null;
  let geomEl = null;
  let footEl = null;
  const references = createReferences();
  const drawing = createDrawing(map, { onChange: geometryChanged, onDrawn: drawn });

  const account = () => getSession();
  const multi = (layer) => geometryTypes(layer).find((g) => g.startsWith('Multi')) ?? null;
  const shapesOf = (layer) => geometryTypes(layer).filter((g) => !g.startsWith('Multi'));
  /** The simple type of a geometry, as the hints and buttons name it. */
  const simpleType = (g) => ({ Point: 'Point', LineString: 'LineString', MultiLineString: 'LineString' }[g?.type] ?? 'Polygon');
  const rerender = () => panel.refresh();

  // ---- the feature being edited, hidden on the atlas layers ------------------------------------
  const hidden = new Map(); // map layer id → its filter before
  function hideOnMap(target) {
    for (const [id, filter] of hidden) if (map.getLayer(id)) map.setFilter(id, filter ?? null);
    hidden.clear();
    if (!target) return;
    const not = ['!=', ['id'], target.id];
    for (const id of layerIds[target.layer] || []) {
      if (!map.getLayer(id)) continue;
      const before = map.getFilter(id);
      hidden.set(id, before);
      map.setFilter(id, before ? ['all', before, not] : not);
    }
    setSelection(null);
  }

  // ---- keeping the shape in view ----------------------------------------------------------------
  /** The map's part no panel covers, in map pixels: beside the panel on a wide screen, above the sheet (or bar) on a phone. */
  function freeArea() {
    const m = map.getContainer().getBoundingClientRect();
    const p = panel.el.hidden ? null : panel.el.getBoundingClientRect();
    const pad = { top: 30, left: 30, right: 30, bottom: 30 };
    if (p && p.width > m.width * 0.8) pad.bottom = Math.max(pad.bottom, m.bottom - p.top + 20);
    else if (p) pad.right = Math.max(pad.right, m.right - p.left + 20);
    return { pad, x0: pad.left, x1: m.width - pad.right, y0: pad.top, y1: m.height - pad.bottom };
  }

  /**
   * Moves the map so that `geometry` lies where no panel covers it, big enough to reshape: a
   * shape under 160 pixels across, or a point seen from below zoom 15, is zoomed to. Where the
   * free part is a narrow strip (above a phone's form) the map is only panned.
   */
  function reveal(geometry) {
    const b = geometryBbox(geometry);
    if (!b) return;
    const free = freeArea();
    const sw = map.project([b[0], b[1]]);
    const ne = map.project([b[2], b[3]]);
    const centre = () => map.panBy([(sw.x + ne.x) / 2 - (free.x0 + free.x1) / 2, (sw.y + ne.y) / 2 - (free.y0 + free.y1) / 2], { duration: 300 });
    const fit = (maxZoom) => map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: free.pad, maxZoom, duration: 300 });
    if (free.x1 - free.x0 < 200 || free.y1 - free.y0 < 200) {
      centre();
      return;
    }
    const point = geometry.type === 'Point';
    if (point ? map.getZoom() < 15 : ne.x - sw.x < 160 && sw.y - ne.y < 160) {
      fit(point ? 17 : 18);
      return;
    }
    if (sw.x >= free.x0 && ne.x <= free.x1 && ne.y >= free.y0 && sw.y <= free.y1) return;
    if (ne.x - sw.x <= free.x1 - free.x0 && sw.y - ne.y <= free.y1 - free.y0) centre();
    else fit(20);
  }

  // ---- leaving ---------------------------------------------------------------------------------
  const warnUnload = (e) => {
    if (s && S.isDirty(s)) e.preventDefault();
  };
  const onKey = (e) => {
    if (e.key === 'Escape' && step === 'draw') cancelDraw();
  };

  function finish() {
    drawing.stop();
    hideOnMap(null);
    s = null;
    step = null;
    collapsed = false;
    formApi = null;
    window.removeEventListener('beforeunload', warnUnload);
    document.removeEventListener('keydown', onKey);
    map.doubleClickZoom.enable();
  }

  function begin() {
    window.addEventListener('beforeunload', warnUnload);
    document.addEventListener('keydown', onKey);
  }

  /** Ends whatever is being edited, asking first when changes would be lost; false when the user keeps editing. */
  async function leave() {
    if (!step) return true;
    if (s && S.isDirty(s)) {
      const ok = await confirmDialog({
        title: t('edit.leave'), text: t('edit.leave.text'), confirm: t('edit.leave.discard'), cancel: t('edit.leave.keep'), danger: true,
      });
      if (!ok) return false;
    }
    finish();
    return true;
  }

  async function cancel() {
    const back = s?.mode === 'edit' ? { layer: s.layer, id: s.id } : null;
    if (!(await leave())) return;
    if (back) openFeature(back.layer, back.id);
    else panel.hide();
  }

  // ---- starting ---------------------------------------------------------------------------------
  async function edit(layer, feature) {
    if (!(await leave())) return;
    s = S.createSession({ mode: 'edit', layer, feature, fields: layerFields(layer) });
    step = 'form';
    // A stored shape the drawing cannot take whole (a ring it finds self-intersecting) is kept
    // as it is, never saved with a part missing; it may still be drawn anew.
    if (drawing.edit(feature.geometry, multi(layer))) hideOnMap({ layer, id: feature.id });
    else {
      drawing.stop();
      s.locked = true;
    }
    begin();
    panel.showEditor(render);
    reveal(feature.geometry);
  }

  async function create() {
    if (!(await leave())) return;
    if (!creatableLayers(account()).length) return;
    step = 'choose';
    setSelection(null);
    panel.showEditor(render);
  }

  function startDrawing() {
    s = S.createSession({ mode: 'create', layer: chooser.layer, feature: null, fields: layerFields(chooser.layer) });
    step = 'draw';
    drawShape = chooser.shape;
    drawing.drawNew(chooser.shape, multi(chooser.layer));
    begin();
    rerender();
  }

  function redraw(shape) {
    step = 'draw';
    collapsed = false;
    drawShape = shape;
    drawing.drawNew(shape, multi(s.layer));
    rerender();
  }

  function cancelDraw() {
    if (!s?.geometry) {
      cancel();
      return;
    }
    if (s.locked) drawing.stop();
    else drawing.edit(s.geometry, multi(s.layer));
    step = 'form';
    rerender();
  }

  // ---- the shape --------------------------------------------------------------------------------
  async function drawn(geometry) {
    S.setGeometry(s, geometry);
    step = 'form';
    if (s.locked) {
      s.locked = false;
      hideOnMap({ layer: s.layer, id: s.id });
    }
    if (s.mode === 'create') await suggestPlace();
    rerender();
    reveal(geometry);
  }

  function geometryChanged(geometry) {
    if (!s) return;
    S.setGeometry(s, geometry);
    updateGeometry();
    updateFooter();
    if (s.mode === 'create') suggestPlace();
  }

  /** Fills the fields naming where a new feature lies (those the user did not choose by hand). */
  async function suggestPlace() {
    const session = s;
    let found = {};
    try {
      found = await references.suggest(session.layer, session.geometry, session.fields);
    } catch {
      return;
    }
    if (s !== session) return;
    const before = session.raw.community_code;
    for (const [name, value] of Object.entries(found)) {
      if (session.touched.has(name) || session.raw[name] === value) continue;
      if (formApi) formApi.setValue(name, value);
      else S.setRaw(session, name, value, { byHand: false });
    }
    if (formApi && session.raw.community_code !== before) formApi.refreshChoices(BY_COMMUNITY);
  }

  function resetGeometry() {
    S.setGeometry(s, s.base.geometry);
    drawing.edit(s.geometry, multi(s.layer));
    updateGeometry();
    updateFooter();
  }

  function shapeText(g) {
    if (!g) return t('edit.geom.none');
    const fmt = (n) => Math.round(n).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en');
    if (g.type === 'Point') return t('edit.geom.point', { lon: g.coordinates[0].toFixed(6), lat: g.coordinates[1].toFixed(6) });
    if (g.type === 'Polygon') return t('edit.geom.polygon', { n: g.coordinates[0].length - 1, area: fmt(areaOf(g)) });
    if (g.type === 'LineString') return t('edit.geom.line', { n: g.coordinates.length, length: fmt(lineLength(g.coordinates)) });
    if (g.type === 'MultiLineString') return t('edit.geom.lines', { parts: g.coordinates.length, length: fmt(g.coordinates.reduce((sum, c) => sum + lineLength(c), 0)) });
    return t('edit.geom.multi', { parts: g.coordinates.length, area: fmt(areaOf(g)) });
  }

  function geometrySection() {
    const changed = s.mode === 'edit' && S.changedFields(s).includes('geometry');
    const type = simpleType(s.geometry);
    const shapes = shapesOf(s.layer);
    const redrawButtons = shapes.length > 1
      ? shapes.map((shape) => el('button', { type: 'button', class: 'edit-redraw', dataset: { shape }, onclick: () => redraw(shape) },
        t('edit.geom.redraw_as', { shape: t(`edit.shape.${shape}`) })))
      : [el('button', { type: 'button', class: 'edit-redraw', dataset: { shape: shapes[0] }, onclick: () => redraw(shapes[0]) }, t('edit.geom.redraw'))];
    const sec = el('section', { class: 'edit-geometry', dataset: { field: 'geometry' } },
      el('div', { class: 'edit-geometry-head' },
        el('h3', {}, t('edit.geom.title')),
        changed ? el('span', { class: 'edit-changed-tag' }, t('edit.geom.changed')) : null),
      el('div', { class: 'geom-summary', id: 'edit-geom-summary' }, shapeText(s.geometry)),
      el('p', { class: 'edit-hint' }, s.locked ? t('edit.geom.locked') : t(`edit.geom.hint.${type}`)),
      el('div', { class: 'geom-actions' },
        s.locked ? null : el('button', { type: 'button', class: 'edit-adjust', id: 'edit-adjust', onclick: () => { collapsed = true; rerender(); reveal(s.geometry); } }, t('edit.geom.show_map')),
        changed ? el('button', { type: 'button', id: 'edit-geom-reset', onclick: resetGeometry }, t(`edit.geom.reset.${type}`)) : null,
        ...redrawButtons),
      el('div', { class: 'field-error', id: 'edit-geometry-msg', role: 'alert' }, problemText(s.errors.geometry)));
    sec.toggleAttribute('data-invalid', Boolean(s.errors.geometry));
    sec.toggleAttribute('data-changed', changed);
    return sec;
  }

  function updateGeometry() {
    if (!geomEl?.isConnected) return;
    const next = geometrySection();
    geomEl.replaceWith(next);
    geomEl = next;
  }

  // ---- saving -----------------------------------------------------------------------------------
  /** The form's foot: what changed or needs correcting, 取消 and 保存. Updated in place (a click on 保存 must survive the change event of the field it leaves). */
  function footer() {
    const status = el('span', { class: 'edit-status', id: 'edit-status', 'aria-live': 'polite' });
    const cancelButton = el('button', { type: 'button', id: 'edit-cancel', onclick: cancel }, t('edit.cancel'));
    const saveButton = el('button', { type: 'button', class: 'primary', id: 'edit-save', onclick: save });
    footEl = el('footer', { class: 'edit-actions edit-footer' }, status, cancelButton, saveButton);
    footEl.parts = { status, cancelButton, saveButton };
    updateFooter();
    return footEl;
  }

  function updateFooter() {
    if (!footEl || !s) return;
    const { status, cancelButton, saveButton } = footEl.parts;
    const changed = S.changedFields(s).length;
    const invalid = Object.keys(s.errors).length;
    let text = s.mode === 'edit' ? (changed ? t('edit.changed_n', { n: changed }) : t('edit.unchanged')) : '';
    if (invalid) text = t('edit.invalid', { n: invalid });
    status.textContent = text;
    status.classList.toggle('invalid', invalid > 0);
    cancelButton.disabled = s.saving;
    saveButton.disabled = s.saving;
    saveButton.textContent = s.saving ? t('edit.saving') : t('edit.save');
  }

  /** A community outside the account's scope: the server would refuse it (403). */
  function checkScope() {
    const code = s.raw.community_code;
    if (code && s.fields.some((f) => f.name === 'community_code') && !scopeCovers(account()?.scope, code)) {
      s.errors.community_code = { key: 'edit.err.scope' };
    }
  }

  async function save() {
    if (!s || s.saving) return;
    const ok = S.validateAll(s);
    checkScope();
    if (!ok || Object.keys(s.errors).length) {
      formApi?.showErrors();
      updateGeometry();
      updateFooter();
      const first = panel.el.querySelector('[data-invalid] input, [data-invalid] select, [data-invalid] button');
      first?.focus();
      return;
    }
    const session = s;
    session.saving = true;
    session.general = [];
    updateFooter();
    try {
      const f = S.toFeature(session);
      const saved = session.mode === 'create'
        ? await createItem(session.layer, f)
        : await replaceItem(session.layer, session.id, f, session.version);
      const { layer, mode } = session;
      finish();
      references.clear();
      onWritten({ layer, id: saved.id, mode });
      openFeature(layer, saved.id, {
        openHistory: true,
        notice: mode === 'create' ? t('edit.created') : t('edit.saved', { v: saved.properties?.version ?? '' }),
      });
    } catch (e) {
      session.saving = false;
      if (s !== session) return;
      await refused(e);
      rerender();
    }
  }

  async function refused(e) {
    if (e.status === 422 && e.problems) {
      S.applyProblems(s, e.problems);
      if (!e.problems.length) s.general = [{ reason: errorLine(e, t) }];
    } else if (e.status === 409 && s.mode === 'edit') {
      await loadConflict();
    } else if (e.status === 401) {
      s.general = [{ reason: t('edit.signed_out') }];
    } else {
      s.general = [{ reason: errorLine(e, t) }];
    }
  }

  // ---- a conflict -------------------------------------------------------------------------------
  async function loadConflict() {
    const { layer, id } = s;
    let theirs = null;
    let deleted = false;
    try {
      theirs = await fetchItem(layer, id);
    } catch (e) {
      if (e.status !== 404) {
        s.general = [{ reason: errorLine(e, t) }];
        return;
      }
      deleted = true;
    }
    let last = null;
    try {
      last = (await fetchAudit({ layer, feature_id: id, limit: 1 })).entries[0] || null;
    } catch {
      // who changed it stays unsaid
    }
    s.conflict = { theirs, deleted, actor: last?.actor || null, at: last?.at || null };
    step = 'conflict';
  }

  function keepOnTheirs() {
    S.rebaseOnTheirs(s, s.conflict.theirs);
    if (!s.locked) drawing.edit(s.geometry, multi(s.layer));
    step = 'form';
    rerender();
  }

  function discardMine() {
    const { layer, id, conflict } = s;
    finish();
    if (conflict?.deleted) {
      onWritten({ layer, id, mode: 'delete' });
      panel.hide();
    } else {
      openFeature(layer, id);
    }
  }

  // ---- deleting ---------------------------------------------------------------------------------
  async function remove(layer, feature) {
    if (!(await leave())) return;
    const name = feature.properties?.name || feature.properties?.code || `#${feature.id}`;
    let stale = false;
    const done = await confirmDialog({
      title: t('edit.delete.title'),
      text: t('edit.delete.text', { layer: layerTitle(layer), name }),
      confirm: t('edit.delete.confirm'),
      cancel: t('edit.cancel'),
      danger: true,
      onConfirm: async () => {
        try {
          await deleteItem(layer, feature.id, feature.properties?.version);
          return null;
        } catch (e) {
          if (e.status === 409) {
            stale = true;
            return t('edit.delete.conflict');
          }
          if (e.status === 422 && e.problems?.length) return t('edit.delete.failed', { reason: e.problems.map(problemText).join('；') });
          return t('edit.delete.failed', { reason: errorLine(e, t) });
        }
      },
    });
    if (!done) {
      if (stale) openFeature(layer, feature.id);
      return;
    }
    references.clear();
    onWritten({ layer, id: feature.id, mode: 'delete' });
    setSelection(null);
    deletedText = t('edit.deleted', { layer: layerTitle(layer), name });
    step = 'deleted';
    panel.showEditor(render);
  }

  // ---- drawing the panel ------------------------------------------------------------------------
  function header(title, kicker) {
    return tools.header(title, kicker, () => (step === 'deleted' || step === 'choose' ? (finish(), panel.hide()) : cancel()));
  }

  function renderChoose(root) {
    const layers = creatableLayers(account());
    if (!layers.includes(chooser.layer)) chooser.layer = layers[0];
    if (!shapesOf(chooser.layer).includes(chooser.shape)) chooser.shape = shapesOf(chooser.layer)[0];
    root.append(header(t('edit.new.title'), t('edit.new.kicker')));
    const layerSel = el('select', { id: 'edit-new-layer', onchange: (e) => {
      chooser.layer = e.target.value;
      chooser.shape = shapesOf(chooser.layer)[0];
      rerender();
    } }, ...layers.map((l) => el('option', { value: l, selected: l === chooser.layer }, layerTitle(l))));
    const shapes = shapesOf(chooser.layer);
    const shapeChoice = shapes.length > 1
      ? el('div', { class: 'edit-shapes', role: 'radiogroup', id: 'edit-new-shape' }, ...shapes.map((shape) => el('label', { class: 'edit-check' },
        el('input', { type: 'radio', name: 'edit-shape', value: shape, checked: shape === chooser.shape, onchange: () => { chooser.shape = shape; } }),
        t(`edit.shape.${shape}`))))
      : el('div', { class: 'edit-shape-only' }, t(`edit.shape.${shapes[0]}`));
    root.append(
      el('div', { class: 'edit-body' },
        el('div', { class: 'edit-fields' },
          el('div', { class: 'edit-field' }, el('label', { for: 'edit-new-layer', class: 'edit-label' }, t('edit.new.layer')), el('div', { class: 'edit-control' }, layerSel)),
          el('div', { class: 'edit-field' }, el('span', { class: 'edit-label' }, t('edit.new.shape')), el('div', { class: 'edit-control' }, shapeChoice))),
        el('p', { class: 'edit-hint' }, t('edit.new.note'))),
      el('footer', { class: 'edit-actions' },
        el('button', { type: 'button', id: 'edit-cancel', onclick: () => { finish(); panel.hide(); } }, t('edit.cancel')),
        el('button', { type: 'button', class: 'primary', id: 'edit-start-draw', onclick: startDrawing }, t('edit.new.start'))),
    );
  }

  function renderDraw(root) {
    root.append(el('div', { class: 'edit-bar' },
      el('div', { class: 'edit-bar-text' }, el('b', {}, formTitle()),
        el('div', { class: 'draw-hint', id: 'edit-draw-hint' }, t(`edit.draw.${drawShape ?? 'Polygon'}`))),
      el('button', { type: 'button', id: 'edit-draw-cancel', onclick: cancelDraw }, t('edit.cancel'))));
  }

  function formTitle() {
    if (s.mode === 'create') return t('edit.new.of', { layer: layerTitle(s.layer) });
    const p = s.base.properties;
    return p.name || p.code || `#${s.id}`;
  }

  function renderForm(root) {
    const kicker = t(s.mode === 'create' ? 'edit.kicker.create' : 'edit.kicker.edit', { layer: layerTitle(s.layer) });
    if (collapsed) {
      root.append(el('div', { class: 'edit-bar' },
        el('div', { class: 'edit-bar-text' }, el('b', {}, formTitle()), ' · ', shapeText(s.geometry)),
        el('button', { type: 'button', class: 'primary', id: 'edit-back', onclick: () => { collapsed = false; rerender(); } }, t('edit.geom.back'))));
      return;
    }
    // Header and foot stay; the rest scrolls between them.
    const scroll = el('div', { class: 'edit-body' });
    root.append(header(formTitle(), kicker), scroll, footer());
    if (s.general.length) {
      scroll.append(el('div', { class: 'edit-general', role: 'alert', id: 'edit-general' }, el('div', {}, t('edit.refused')),
        el('ul', {}, ...s.general.map((p) => el('li', {}, p.field ? `${tools.label(s.layer, p.field)}：${problemText(p)}` : problemText(p))))));
    }
    geomEl = geometrySection();
    const body = el('div', { class: 'edit-form', id: 'edit-form' });
    scroll.append(geomEl, body);
    formApi = createForm(body, {
      session: s,
      label: (name) => tools.label(s.layer, name),
      references,
      account: account(),
      onChange: (name) => {
        if (name === 'community_code') {
          for (const dep of BY_COMMUNITY) if (!s.touched.has(dep) && s.raw[dep] !== undefined) S.setRaw(s, dep, '', { byHand: false });
          formApi.refreshChoices(BY_COMMUNITY);
        }
        updateFooter();
      },
    });
  }

  function renderConflict(root) {
    const { body, actions } = conflictView({
      session: s,
      conflict: s.conflict,
      label: (field) => tools.label(s.layer, field),
      value: (field, v) => {
        const node = el('span', {}, tools.formatValue(s.layer, field, v));
        tools.nameReference(node, s.layer, field, v);
        return node;
      },
      shape: shapeText,
      time: tools.formatTime,
      onKeep: keepOnTheirs,
      onDiscard: discardMine,
    });
    root.append(header(formTitle(), t('edit.conflict.title')), el('div', { class: 'edit-body' }, body), actions);
  }

  function renderDeleted(root) {
    root.append(header(t('edit.delete.done'), t('edit.delete.title')), el('p', { class: 'edit-notice', role: 'status' }, deletedText));
  }

  /** Draws the current step into the panel's element (`with`: what the panel lends). */
  function render(root, lent) {
    tools = lent;
    root.dataset.edit = collapsed && step === 'form' ? 'collapsed' : step;
    if (step === 'choose') renderChoose(root);
    else if (step === 'draw') renderDraw(root);
    else if (step === 'form') renderForm(root);
    else if (step === 'conflict') renderConflict(root);
    else if (step === 'deleted') renderDeleted(root);
  }

  // ---- ＋ 新建 on the map -----------------------------------------------------------------------
  const newButton = el('button', { type: 'button', id: 'edit-new', class: 'edit-new-button', onclick: create });
  const control = {
    onAdd() {
      this.el = el('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group edit-new-ctrl' }, newButton);
      updateControl();
      return this.el;
    },
    onRemove() {
      this.el.remove();
    },
  };
  function updateControl() {
    newButton.textContent = `＋ ${t('edit.new')}`;
    newButton.title = t('edit.new.title');
    if (control.el) control.el.hidden = creatableLayers(account()).length === 0;
  }
  onLangChange(updateControl);
  onSessionChange(() => {
    updateControl();
    if (!step || step === 'deleted') {
      panel.refresh();
      return;
    }
    const who = account();
    if (!who && s) {
      // Signed out (or the server forgot the session): the form stays, to be saved after signing in again.
      s.general = [{ reason: t('edit.signed_out') }];
      rerender();
      return;
    }
    let allowed = false;
    if (s?.mode === 'edit') allowed = mayEdit(who, s.layer, s.base.properties);
    else if (s) allowed = creatableLayers(who).includes(s.layer);
    else allowed = creatableLayers(who).length > 0;
    if (!allowed) {
      // Another account that may not change it: the form is not theirs to save.
      finish();
      panel.hide();
      return;
    }
    if (s) s.general = [];
    rerender();
  });

  return {
    control,
    edit,
    create,
    remove,
    leave,
    /** Whether the signed-in account may change this feature (the panel then offers 编辑 / 删除). */
    mayEdit: (layer, feature) => mayEdit(account(), layer, feature?.properties || {}),
    /** Map clicks belong to the drawing while a feature is drawn or edited. */
    handleClick: () => Boolean(s),
    get active() { return Boolean(s); },
    get state() { return { step, session: s, collapsed }; },
  };
}
