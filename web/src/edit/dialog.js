// A modal confirmation (the page's `<dialog>`): a title, a text, a confirming and a cancelling
// button. `onConfirm` may do the work and answer an error text, which is shown in the dialog
// (it stays open); the promise resolves to true once confirmed and done, false when cancelled.

import { el } from '../dom.js';

export function confirmDialog({ id = 'edit-dialog', title, text, confirm, cancel, danger = false, onConfirm }) {
  document.getElementById(id)?.remove();
  return new Promise((resolve) => {
    const error = el('p', { class: 'dialog-error', role: 'alert' });
    const ok = el('button', { type: 'button', class: danger ? 'danger' : 'primary', id: `${id}-confirm` }, confirm);
    const no = el('button', { type: 'button', id: `${id}-cancel` }, cancel);
    const dialog = el('dialog', { class: 'edit-dialog', id, 'aria-labelledby': `${id}-title` },
      el('h2', { id: `${id}-title` }, title),
      el('p', { class: 'dialog-text' }, text),
      error,
      el('div', { class: 'dialog-actions' }, no, ok));
    let answered = false;
    const close = (result) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    no.addEventListener('click', () => close(false));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      if (!ok.disabled) close(false);
    });
    ok.addEventListener('click', async () => {
      if (!onConfirm) {
        close(true);
        return;
      }
      ok.disabled = true;
      no.disabled = true;
      error.textContent = '';
      const failed = await onConfirm();
      if (!failed) {
        close(true);
        return;
      }
      error.textContent = failed;
      ok.disabled = false;
      no.disabled = false;
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
