// The import page's requests (server/src/api/imports.rs), through the one HTTP client. Every
// call carries the signed-in account's token.

import { request } from './http.js';

/** `POST /api/imports`: the chosen files (a FileList or array of File) → the first check. */
export function uploadFiles(files, { signal } = {}) {
  const form = new FormData();
  for (const f of files) form.append('files', f, f.name);
  return request('POST', '/api/imports', { form, signal, auth: true });
}

/** `POST /api/imports/{id}/check` with the user's options → the check. */
export function checkImport(id, options, { signal } = {}) {
  return request('POST', `/api/imports/${encodeURIComponent(id)}/check`, { body: options, signal, auth: true });
}

/** `POST /api/imports/{id}/commit` → `{ features, created, updated, data_version }`; a 422 carries the check. */
export function commitImport(id, options) {
  return request('POST', `/api/imports/${encodeURIComponent(id)}/commit`, { body: options, auth: true });
}

/** `DELETE /api/imports/{id}`. */
export function discardImport(id) {
  return request('DELETE', `/api/imports/${encodeURIComponent(id)}`, { auth: true });
}

/** The last check's problems as a spreadsheet Blob (`xlsx` or `csv`). */
export function importProblems(id, format = 'xlsx') {
  return request('GET', `/api/imports/${encodeURIComponent(id)}/problems?format=${format}`, { blob: true, auth: true });
}
