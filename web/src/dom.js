// A small DOM builder shared by the panels: `el('button', { class, id, onclick, … }, ...children)`.

/**
 * A new element with properties (`class`, `dataset`, `style`, `on<event>` listeners, `value`,
 * boolean `checked`/`disabled`/`selected`, other attributes) and children (nodes or strings;
 * `null`, `undefined` and `false` are skipped, arrays flattened).
 */
export const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.setAttribute('style', v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'value') e.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'required') e[k] = Boolean(v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.flat().filter((x) => x !== null && x !== undefined && x !== false));
  return e;
};
