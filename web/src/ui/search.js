// Search by name or code (`/api/search`): results list under the box; choosing one zooms to its
// bounding box and opens its feature panel.

import { search } from '../api.js';
import { errorLine } from '../errors.js';
import { t, onLangChange } from '../i18n.js';

export function createSearch({ form, input, list, layerTitle, onSelect }) {
  let results = [];
  let active = -1;
  let ctrl = null;
  let timer = null;
  let lastQuery = '';
  let message = '';

  function render() {
    list.replaceChildren();
    if (!results.length && !message) {
      list.hidden = true;
      return;
    }
    list.hidden = false;
    if (message) {
      const p = document.createElement('div');
      p.className = 'search-message';
      p.textContent = message;
      list.append(p);
      return;
    }
    results.forEach((r, i) => {
      const item = document.createElement('button');
      item.type = 'button';
      item.className = 'search-result';
      item.setAttribute('role', 'option');
      item.setAttribute('aria-selected', String(i === active));
      item.dataset.layer = r.layer;
      item.dataset.id = String(r.id);
      const name = document.createElement('span');
      name.className = 'result-name';
      name.textContent = r.name;
      const meta = document.createElement('span');
      meta.className = 'result-meta';
      meta.textContent = [layerTitle(r.layer), r.code].filter(Boolean).join(' · ');
      item.append(name, meta);
      item.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the box
      item.addEventListener('click', () => choose(i));
      list.append(item);
    });
  }

  async function run(q) {
    q = q.trim();
    lastQuery = q;
    ctrl?.abort();
    if (!q) {
      results = [];
      message = '';
      render();
      return;
    }
    ctrl = new AbortController();
    try {
      const res = await search(q, { limit: 20, signal: ctrl.signal });
      if (q !== lastQuery) return;
      results = res.results || [];
      active = results.length ? 0 : -1;
      message = results.length ? '' : t('search.none', { q });
    } catch (e) {
      if (e.name === 'AbortError') return;
      results = [];
      message = t('search.error', { reason: errorLine(e, t) });
    }
    render();
  }

  function choose(i) {
    const r = results[i];
    if (!r) return;
    results = [];
    message = '';
    render();
    input.value = r.name;
    onSelect(r);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), 250);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && results.length) {
      active = (active + 1) % results.length;
      render();
      e.preventDefault();
    } else if (e.key === 'ArrowUp' && results.length) {
      active = (active - 1 + results.length) % results.length;
      render();
      e.preventDefault();
    } else if (e.key === 'Escape') {
      results = [];
      message = '';
      render();
    }
  });
  input.addEventListener('blur', () => setTimeout(() => { results = []; message = ''; render(); }, 150));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    const q = input.value.trim();
    if (results.length && active >= 0 && q === lastQuery) {
      choose(active);
      return;
    }
    await run(q);
  });
  onLangChange(() => {
    if (message && lastQuery) run(lastQuery);
    else render();
  });
  return { run };
}
