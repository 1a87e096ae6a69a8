// Prints and trends from the server: `/api/print/boards` and `/api/print/report` as PDF blobs,
// `/api/trends` as JSON (server/src/api/print.rs, trends.rs).

import { request } from '../http.js';

const query = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();

/** Grid notice boards of `{ grid | community | street }` on `paper` (A4, A3) as a PDF Blob (signed in). */
export const boardsPdf = (scope, paper = 'A4') => request('GET', `/api/print/boards?${query({ ...scope, paper })}`, { blob: true, auth: true });

/** The coverage report of `{ street | community }` for `service` (and the map's threshold and metric) as a PDF Blob. */
export const reportPdf = (scope, { service, threshold, metric }) => request('GET', `/api/print/report?${query({ ...scope, service, threshold, metric })}`, { blob: true });

/** The first page of the coverage report as a PNG Blob (title, legend, scale bar, north arrow, threshold, date). */
export const reportPng = (scope, { service, threshold, metric }) => request('GET', `/api/print/report?${query({ ...scope, service, threshold, metric, format: 'png', page: 1 })}`, { blob: true });

/** An area's monthly trend: `{ months: [...], now, change_since_last_month }`. */
export const trend = (level, code, months = 12) => request('GET', `/api/trends?${query({ level, code, months })}`);
