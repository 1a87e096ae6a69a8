// The workspace switcher: 一张图 (the map), 网格规划 (grid planning), 薄弱小区 (underserved
// compounds), 覆盖分析 (coverage), 网格工作 (grid work, for grid workers). 网格规划 is drawn by
// ../planning/, 薄弱小区 and 覆盖分析 by ./analysis.js, 网格工作 by ../gridwork/ (passed in as
// `renderers`); a workspace without a renderer says plainly that it is not available yet, with no
// sample data.

import { t, onLangChange } from '../i18n.js';

export const WORKSPACES = ['map', 'planning', 'underserved', 'coverage', 'gridwork'];

// The line above a workspace's title.
const KICKERS = { planning: 'ws.planning.kicker', gridwork: 'ws.gridwork.kicker' };

export function createWorkspaces({ tabs, panel, onChange, renderers = {} }) {
  let current = 'map';

  function render() {
    for (const tab of tabs) {
      const on = tab.dataset.ws === current;
      tab.setAttribute('aria-selected', String(on));
      tab.classList.toggle('active', on);
    }
    document.body.dataset.workspace = current;
    panel.replaceChildren();
    panel.hidden = current === 'map';
    if (current === 'map') return;
    panel.dataset.workspace = current;
    const head = document.createElement('header');
    head.className = 'panel-head';
    const text = document.createElement('div');
    const kicker = document.createElement('div');
    kicker.className = 'panel-kicker';
    kicker.textContent = renderers[current] ? t(KICKERS[current] || 'ws.analysis') : t('ws.pending.title');
    const h2 = document.createElement('h2');
    h2.textContent = t(`ws.${current}`);
    text.append(kicker, h2);
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'icon-button';
    close.textContent = '×';
    close.title = t('feature.close');
    close.addEventListener('click', () => select('map'));
    head.append(text, close);
    if (renderers[current]) {
      const body = document.createElement('div');
      body.className = 'ws-body';
      panel.append(head, body);
      renderers[current](body);
      return;
    }
    const what = document.createElement('p');
    what.textContent = t(`ws.${current}.pending`);
    const note = document.createElement('p');
    note.className = 'pending-note';
    note.textContent = t('ws.pending.note');
    panel.append(head, what, note);
  }

  function select(ws) {
    if (!WORKSPACES.includes(ws)) return;
    current = ws;
    render();
    onChange?.(ws);
  }

  for (const tab of tabs) tab.addEventListener('click', () => select(tab.dataset.ws));
  onLangChange(render);
  render();
  return { select, get current() { return current; } };
}
