// The grid-work workspace 网格工作 (issue 14): a grid worker — or staff or an admin of one
// community — sees their grid on the map, its compounds and buildings by their last visit, the
// open needs nearest first, and records a visit (入户走访), an errand (代办服务) or a need (需求)
// on a unit, with the date, notes, their position and a photo. Records go through the outbox
// (./outbox.js): without a connection they wait on the phone and are sent, in order and once
// each, when it returns.
//
// This file wires the parts: the account (../session.js), the requests (./api.js), the outbox
// in localStorage, geolocation, the panel (./panel.js) and the map layers (./map.js).

import { geometryBbox } from '../api.js';
import { enumValues } from '../enums.js';
import { getLang, t } from '../i18n.js';
import { getSession, onSessionChange } from '../session.js';
import { fetchGrids, fetchLastVisits, fetchOpenNeeds, fetchWorkers, postRecord } from './api.js';
import { createGridworkMap } from './map.js';
import {
  gridsOf, localDate, mayDoGridWork, needBody, needsNearestFirst, refusalReasons, unitsOldestFirst, visitBody, workerFor,
} from './model.js';
import { createOutbox, outboxKey } from './outbox.js';
import { renderPanel } from './panel.js';
import { dataUrlBytes, downscalePhoto } from './photo.js';

/** How often waiting records are tried again while the page is open (ms). */
const RETRY_MS = 30_000;

function browserStorage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage unavailable: the outbox lasts as long as the page
  }
}

function newForm(previous = {}) {
  return {
    kind: previous.kind || 'visit',
    unitKey: previous.unitKey || '',
    household: '',
    date: localDate(),
    notes: '',
    title: '',
    category: previous.category || enumValues('need_category')[0] || 'other',
    raisedBy: previous.raisedBy || '',
    dueDate: '',
    photo: null,
    photoBytes: 0,
    photoBusy: false,
    photoError: '',
    message: null,
    busy: false,
  };
}

/**
 * `map`: the MapLibre map; `app`: the shared app object (the workspace switcher, errors, and
 * `app.gridwork` for the tests); `fitTo(bbox, maxZoom)`: fits the map above the panels.
 * Creates the workspace's tab in the top bar (shown to the accounts that get it).
 */
export function createGridwork({ map, app, fitTo }) {
  let mapLoaded = false;
  map.once('load', () => { mapLoaded = true; });
  const gmap = createGridworkMap(map, { ready: () => mapLoaded });

  const tab = document.createElement('button');
  Object.assign(tab, { type: 'button', hidden: true });
  tab.setAttribute('role', 'tab');
  tab.setAttribute('aria-selected', 'false');
  tab.dataset.ws = 'gridwork';
  tab.dataset.i18n = 'ws.gridwork';
  tab.textContent = t('ws.gridwork');
  document.querySelector('.workspaces')?.append(tab);

  const state = {
    active: false,
    account: null,
    grids: [],
    gridsLoaded: false,
    grid: null,
    loading: false,
    error: null,
    worker: null,
    units: [],
    needs: null, // the GeoJSON of the open needs
    selected: null,
    position: null, // { lon, lat, accuracy, at }
    locating: false,
    locateError: null,
    section: 'units',
    sheet: 'open',
    online: navigator.onLine !== false,
    outboxNote: null,
    form: newForm(),
  };
  let outbox = null;
  let body = null;
  let gridFeatures = null;
  let loadedFor = null; // the account name and grid the shown data belongs to
  let fitted = null; // the grid the map was last fitted to

  // ---- drawing --------------------------------------------------------------------------------

  const gridOf = (code) => state.grids.find((g) => g.code === code) || null;
  const unitOf = (key) => state.units.find((u) => u.key === key) || null;
  const from = () => (state.position ? [state.position.lon, state.position.lat] : map.getCenter().toArray());

  function syncMap() {
    gmap.update({
      grids: state.grid ? [gridOf(state.grid)].filter(Boolean) : [],
      units: state.units,
      needs: needsNearestFirst(state.needs, null),
      position: state.position,
      selected: state.selected,
    });
  }

  function refresh() {
    if (!body || !body.isConnected) return;
    // Keep the field being typed in focused, and the list where it was scrolled to.
    const active = document.activeElement;
    const focusId = active && body.contains(active) ? active.id : null;
    let caret = null;
    try {
      caret = focusId ? [active.selectionStart, active.selectionEnd] : null;
    } catch {
      caret = null;
    }
    const sameSection = body.querySelector('.gw')?.dataset.section === state.section;
    const top = sameSection ? body.querySelector('.gw-scroll')?.scrollTop ?? 0 : 0;
    // The sheet's height on a phone follows the section and whether it is folded.
    const sheet = body.closest('.workspace-panel');
    if (sheet) Object.assign(sheet.dataset, { gwSection: state.section, gwSheet: state.sheet });
    renderPanel(body, state, {
      actions,
      lang: getLang(),
      today: localDate(),
      needs: needsNearestFirst(state.needs, from()),
      outbox: outbox || { entries: [], waiting: [], refused: [], sending: false },
    });
    const scroller = body.querySelector('.gw-scroll');
    if (scroller) scroller.scrollTop = top;
    const again = focusId ? body.querySelector(`#${CSS.escape(focusId)}`) : null;
    if (again) {
      again.focus({ preventScroll: true });
      try {
        if (caret && caret[0] !== null) again.setSelectionRange(caret[0], caret[1]);
      } catch {
        // not a text field
      }
    }
  }

  function fitGrid() {
    const g = gridOf(state.grid);
    const bbox = g?.geometry ? geometryBbox(g.geometry) : null;
    if (!bbox) return;
    fitted = state.grid;
    fitTo(bbox, 18);
  }

  // ---- loading --------------------------------------------------------------------------------

  async function loadGrid() {
    const grid = state.grid;
    const account = state.account;
    if (!grid || !account) return;
    const [workers, last, needs] = await Promise.all([fetchWorkers(grid), fetchLastVisits(grid), fetchOpenNeeds(grid)]);
    if (grid !== state.grid || account.name !== state.account?.name) return; // switched meanwhile
    state.worker = workerFor(workers, account, grid);
    state.units = unitsOldestFirst(last);
    state.needs = needs;
    if (!state.form.raisedBy && state.worker) state.form.raisedBy = state.worker.body?.name || '';
    if (!state.form.raisedBy) state.form.raisedBy = account.name;
    loadedFor = `${account.name}|${grid}`;
  }

  async function load() {
    const account = state.account;
    if (!account) return;
    state.loading = true;
    state.error = null;
    refresh();
    try {
      gridFeatures ??= await fetchGrids();
      state.grids = gridsOf(account, gridFeatures);
      state.gridsLoaded = true;
      if (!gridOf(state.grid)) state.grid = state.grids[0]?.code || null;
      await loadGrid();
    } catch (e) {
      state.error = e;
      app.errors?.push(`gridwork: ${e?.message || e}`);
    } finally {
      state.loading = false;
    }
    syncMap();
    if (state.active && fitted !== state.grid) fitGrid();
    refresh();
  }

  /** Reloads the units' last visits and the needs after records reached the server. */
  async function reloadGrid() {
    try {
      await loadGrid();
    } catch {
      // kept as it was; the next load tries again
    }
    syncMap();
    refresh();
  }

  // ---- the outbox -----------------------------------------------------------------------------

  function openOutbox(account) {
    outbox = account ? createOutbox({
      storage: browserStorage(),
      key: outboxKey(account.name),
      send: (entry) => postRecord(entry.kind, entry.body),
      onChange: () => refresh(),
    }) : null;
  }

  /** Sends what waits, when signed in and connected; reloads the grid once something arrived. */
  async function flushOutbox() {
    if (!outbox || !state.account || navigator.onLine === false || !outbox.waiting.length) return null;
    const result = await outbox.flush();
    if (result.sent.length) {
      state.outboxNote = t('gw.outbox.sent', { n: result.sent.length });
      reloadGrid();
    }
    refresh();
    return result;
  }

  window.addEventListener('online', () => {
    state.online = true;
    refresh();
    flushOutbox();
  });
  window.addEventListener('offline', () => {
    state.online = false;
    refresh();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') flushOutbox();
  });
  setInterval(() => flushOutbox(), RETRY_MS);
  // Without a position the needs are ordered from the map's centre, which moves.
  map.on('moveend', () => {
    if (state.active && state.section === 'needs' && !state.position) refresh();
  });

  // ---- position -------------------------------------------------------------------------------

  const GEO_OPTIONS = { enableHighAccuracy: true, timeout: 20_000, maximumAge: 30_000 };
  let watch = null; // the position watch while the workspace is open

  function placed(pos) {
    state.position = { lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy, at: Date.now() };
    syncMap();
  }

  /** Follows the phone as it moves (the dot, the nearest needs, the position a record gets). */
  function follow() {
    if (watch !== null || !navigator.geolocation || !state.active) return;
    watch = navigator.geolocation.watchPosition((pos) => {
      placed(pos);
      refresh();
    }, () => {}, GEO_OPTIONS);
  }

  function unfollow() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
  }

  /** Asks for the phone's position and follows it; `recentre` moves the map to it. */
  function locate({ recentre = true } = {}) {
    if (!navigator.geolocation) {
      state.locateError = t('gw.locate.unsupported');
      refresh();
      return;
    }
    state.locating = true;
    state.locateError = null;
    refresh();
    navigator.geolocation.getCurrentPosition((pos) => {
      state.locating = false;
      placed(pos);
      if (recentre) {
        const { lon, lat } = state.position;
        fitTo([lon, lat, lon, lat], Math.max(map.getZoom(), 17));
      }
      follow();
      refresh();
    }, (err) => {
      state.locating = false;
      state.locateError = err.code === 1 ? t('gw.locate.denied') : t('gw.locate.failed', { msg: err.message });
      refresh();
    }, GEO_OPTIONS);
  }

  /** Shows the position without asking when the phone already allows it. */
  async function locateIfAllowed() {
    try {
      const status = await navigator.permissions?.query({ name: 'geolocation' });
      if (status?.state === 'granted' && state.active) locate({ recentre: false });
    } catch {
      // no Permissions API: wait for 定位
    }
  }

  // ---- recording ------------------------------------------------------------------------------

  /** Redraws with the form's message in view (it sits at the foot of the form). */
  function showMessage() {
    refresh();
    body?.querySelector('#gw-form-message')?.scrollIntoView({ block: 'center' });
  }

  function problem(text) {
    state.form.message = { kind: 'error', text };
    showMessage();
  }

  async function submit() {
    const f = state.form;
    const need = f.kind === 'need';
    const unit = unitOf(f.unitKey);
    if (!f.date) return problem(t('gw.err.date'));
    if (need && !f.title.trim()) return problem(t('gw.err.title'));
    if (need && !f.raisedBy.trim()) return problem(t('gw.err.raised_by'));
    if (!need && !state.worker) return problem(t('gw.err.worker'));
    if (!need && !unit) return problem(t('gw.err.unit'));
    const clientId = crypto.randomUUID();
    const position = state.position ? [state.position.lon, state.position.lat] : null;
    const common = { unit, household: f.household, date: f.date, notes: f.notes, position, photo: f.photo, clientId };
    const body = need
      ? needBody({ ...common, title: f.title, category: f.category, raisedBy: f.raisedBy, dueDate: f.dueDate, grid: gridOf(state.grid) })
      : visitBody({ ...common, worker: state.worker, kind: f.kind });
    outbox.add({ client_id: clientId, kind: f.kind, body, label: unit?.name || gridOf(state.grid)?.name || '' });
    const what = t(`gw.kind.${f.kind}`);
    const done = (message) => {
      state.form = { ...newForm(f), message };
      showMessage();
    };
    if (navigator.onLine === false) {
      done({ kind: 'queued', text: outbox.stored ? t('gw.queued') : t('gw.queued.memory') });
      return;
    }
    f.busy = true;
    f.message = null;
    refresh();
    // A run already under way may end before reaching this record: one more then.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await outbox.flush();
      const sent = result.sent.find((s) => s.entry.client_id === clientId);
      if (sent) {
        done({ kind: 'sent', text: t('gw.sent', { what, id: sent.reply?.id ?? '' }) });
        reloadGrid();
        return;
      }
      const refused = result.refused.find((e) => e.client_id === clientId);
      if (refused) {
        // Refused as it was typed: the form keeps it, with the reasons, to correct and send again.
        outbox.discard(clientId);
        f.busy = false;
        f.message = { kind: 'refused', text: t('gw.refused'), reasons: refusalReasons(refused.refusal, getLang(), t) };
        showMessage();
        return;
      }
      if (result.stopped) break;
    }
    done({ kind: 'queued', text: outbox.stored ? t('gw.queued') : t('gw.queued.memory') });
  }

  // ---- what the panel's controls do -----------------------------------------------------------

  function selectUnit(key, { zoom = false } = {}) {
    state.selected = key || null;
    state.form.unitKey = key || '';
    const unit = unitOf(key);
    syncMap();
    if (zoom && unit?.geometry) fitTo(geometryBbox(unit.geometry), 18);
    refresh();
  }

  const actions = {
    chooseGrid: (code) => {
      state.grid = code;
      state.selected = null;
      state.units = [];
      state.needs = null;
      state.worker = null;
      state.form = newForm({ ...state.form, unitKey: '' });
      load();
    },
    locate: () => locate(),
    showSection: (section) => {
      state.section = section;
      state.sheet = 'open';
      state.outboxNote = null;
      refresh();
    },
    toggleSheet: () => {
      state.sheet = state.sheet === 'peek' ? 'open' : 'peek';
      refresh();
    },
    selectUnit,
    recordAt: (key) => {
      state.section = 'record';
      state.form.message = null;
      selectUnit(key, { zoom: true });
    },
    showNeed: (id) => {
      const n = needsNearestFirst(state.needs, null).find((x) => x.id === id);
      if (n) fitTo([n.at[0], n.at[1], n.at[0], n.at[1]], 18);
    },
    setKind: (kind) => {
      state.form.kind = kind;
      state.form.message = null;
      refresh();
    },
    setField: (name, value) => {
      state.form[name] = value;
    },
    takePhoto: async (file) => {
      if (!file) return;
      state.form.photoBusy = true;
      state.form.photoError = '';
      refresh();
      const form = state.form;
      try {
        const url = await downscalePhoto(file);
        form.photo = url;
        form.photoBytes = dataUrlBytes(url);
      } catch (e) {
        form.photoError = t('gw.photo.failed', { msg: e.message || String(e) });
      } finally {
        form.photoBusy = false;
      }
      refresh();
    },
    removePhoto: () => {
      state.form.photo = null;
      state.form.photoBytes = 0;
      refresh();
    },
    submit,
    discard: (clientId) => outbox?.discard(clientId),
    sendNow: () => flushOutbox(),
  };

  // ---- the account ----------------------------------------------------------------------------

  function onAccount(account) {
    const allowed = mayDoGridWork(account);
    tab.hidden = !allowed;
    // The top bar makes room for the tab (style.css).
    if (allowed) document.body.dataset.gridworkTab = '';
    else delete document.body.dataset.gridworkTab;
    const same = state.account && account && state.account.name === account.name && state.account.scope === account.scope;
    if (same) {
      state.account = account;
      flushOutbox();
      return;
    }
    state.account = allowed ? account : null;
    state.grids = [];
    state.gridsLoaded = false;
    state.grid = null;
    state.units = [];
    state.needs = null;
    state.worker = null;
    state.selected = null;
    state.section = 'units';
    state.sheet = 'open';
    state.outboxNote = null;
    state.form = newForm();
    loadedFor = null;
    fitted = null;
    openOutbox(state.account);
    syncMap();
    if (!allowed && state.active) app.workspaces?.select('map');
    if (allowed && state.active) load();
    flushOutbox();
  }
  onSessionChange(onAccount);
  onAccount(getSession());

  app.gridwork = { state, get outbox() { return outbox; }, flush: flushOutbox };

  return {
    /** Draws the workspace into the switcher's panel body. */
    render(panelBody) {
      body = panelBody;
      refresh();
    },
    /** The workspace was opened (true) or left. */
    setActive(on) {
      if (on === state.active) return;
      state.active = on;
      gmap.setVisible(on);
      if (!on) {
        unfollow();
        return;
      }
      // Its tab may sit beyond the end of a top bar that scrolls sideways on a phone.
      tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      if (state.account && loadedFor !== `${state.account.name}|${state.grid}`) load();
      else if (fitted !== state.grid) fitGrid();
      locateIfAllowed();
      flushOutbox();
    },
    /** Takes a tap on a unit (chosen for the form) or a need while the workspace is open. */
    handleClick(e) {
      if (!state.active) return false;
      const hit = gmap.hit(e.point);
      if (!hit) return false;
      if (hit.unit) {
        selectUnit(hit.unit);
        body?.querySelector(`.gw-unit[data-key="${CSS.escape(hit.unit)}"]`)?.scrollIntoView({ block: 'nearest' });
      } else if (hit.need !== undefined) {
        state.section = 'needs';
        refresh();
        body?.querySelector(`.gw-needs li[data-id="${CSS.escape(String(hit.need))}"]`)?.scrollIntoView({ block: 'nearest' });
      }
      return true;
    },
  };
}
