// The account control in the top bar: 登录 opens a small sign-in form; once signed in it shows
// who (name and role) with 退出 to sign out.

import { el } from '../dom.js';
import { errorLine } from '../errors.js';
import { getLang, onLangChange, t } from '../i18n.js';
import { getSession, onSessionChange, signIn, signOut } from '../session.js';

export function createAccount({ el: root }) {
  let open = false;
  let error = '';
  let busy = false;

  function roleName(role) {
    const key = `role.${role}`;
    const s = t(key);
    return s === key ? role : s;
  }

  function scopeName(scope) {
    if (!scope || scope === 'district') return t('scope.district');
    const [kind, code] = scope.split(':');
    return `${t(`zoomto.${kind}`)} ${code}`;
  }

  function render() {
    root.replaceChildren();
    const s = getSession();
    if (s) {
      root.append(
        el('span', { class: 'account-who', id: 'account-who', title: `${roleName(s.role)} · ${scopeName(s.scope)}` },
          el('b', {}, s.name),
          el('span', { class: 'account-role' }, roleName(s.role))),
        el('button', { type: 'button', id: 'account-signout', class: 'account-button', onclick: () => signOut() }, t('account.signout')),
      );
      return;
    }
    const toggle = () => {
      open = !open;
      error = '';
      render();
    };
    root.append(el('button', { type: 'button', id: 'account-signin', class: 'account-button', 'aria-expanded': String(open), onclick: toggle }, t('account.signin')));
    if (!open) return;
    const input = (props) => el('input', { ...props, placeholder: props['aria-label'], required: true });
    const name = input({ name: 'username', id: 'signin-name', autocomplete: 'username', 'aria-label': t('account.name') });
    const pw = input({ type: 'password', name: 'password', id: 'signin-password', autocomplete: 'current-password', 'aria-label': t('account.password') });
    const submit = el('button', { type: 'submit', disabled: busy }, busy ? t('account.signing_in') : t('account.submit'));
    const form = el('form', { class: 'account-form', id: 'signin-form', autocomplete: 'on' },
      el('div', { class: 'account-form-title' }, t('account.title')),
      name, pw, submit,
      el('div', { class: 'account-error', role: 'alert' }, error),
      el('div', { class: 'account-note' }, t('account.note')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      busy = true;
      error = '';
      const values = [name.value.trim(), pw.value];
      submit.disabled = true;
      submit.textContent = t('account.signing_in');
      try {
        await signIn(...values);
        open = false;
        busy = false;
        render();
      } catch (err) {
        busy = false;
        error = err.status === 401 ? t('account.bad') : t('account.failed', { reason: errorLine(err, t) });
        render();
        const again = root.querySelector('#signin-name');
        if (again) again.value = values[0];
      }
    });
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        open = false;
        render();
      }
    });
    root.append(form);
    name.focus();
  }

  /** Opens the sign-in form (e.g. from the planning workspace). */
  function ask() {
    if (getSession()) return;
    open = true;
    error = '';
    render();
  }

  onSessionChange(render);
  onLangChange(render);
  render();
  return { ask, get lang() { return getLang(); } };
}
