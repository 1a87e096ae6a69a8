// Browser-test harness: starts the `gridatlas` server on a free port with a fresh demo store in a
// temporary folder, serving the built map (web/dist), and drives Debian's Chromium headless with
// playwright-core. Builds nothing: run `npm run build` (and `cargo build -p gridatlas-server`) first.

import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = resolve(here, '..');
export const REPO_DIR = resolve(WEB_DIR, '..');
export const DIST_DIR = join(WEB_DIR, 'dist');
/** Screenshots land here (gitignored). */
export const OUTPUT_DIR = join(REPO_DIR, 'test-output');

export const SERVER_BIN = resolve(WEB_DIR, process.env.GRIDATLAS_BIN || '../target/debug/gridatlas');
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/**
 * Chromium flags. Headless Chromium has no GPU here; WebGL (which MapLibre needs) runs on
 * SwiftShader through ANGLE, which recent Chromium only allows when asked for explicitly.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

const execFileP = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** The server's environment: the caller's, less anything that would point it at another store. */
function serverEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GRIDATLAS_') || k === 'DATABASE_URL') delete env[k];
  env.RUST_LOG = env.RUST_LOG || 'warn';
  return env;
}

/** The password the harness gives every test account (the CLI wants at least 10 characters). */
export const TEST_PASSWORD = 'test-password-123';

/**
 * Starts `gridatlas serve` on a fresh demo store. `accounts` (`[{ name, role, scope, password? }]`)
 * are created with `gridatlas user add` before the server starts; then `prepareStore(path)` (async,
 * optional) may change the GeoPackage. Resolves to
 * `{ url, stop, log }`; `stop()` ends the server and removes its folder.
 */
export async function startServer({ basemapUrl, basemapAttribution, accounts = [], prepareStore } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`no server binary at ${SERVER_BIN}: run \`cargo build -p gridatlas-server\` or set GRIDATLAS_BIN`);
  }
  if (!existsSync(join(DIST_DIR, 'index.html'))) {
    throw new Error(`no built map at ${DIST_DIR}: run \`npm run build\` first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gridatlas-web-test-'));
  const store = join(dir, 'demo.gpkg');
  const env = serverEnv();
  await execFileP(SERVER_BIN, ['demo', '--store', store], { env, timeout: 60_000 });
  for (const a of accounts) {
    await execFileP(SERVER_BIN, ['user', 'add', '--store', store, '--role', a.role, '--scope', a.scope, a.name], {
      env: { ...env, GRIDATLAS_PASSWORD: a.password || TEST_PASSWORD },
      timeout: 30_000,
    });
  }
  // E.g. a row edited by hand, as QGIS would let anyone do, before the server opens the store.
  if (prepareStore) await prepareStore(store);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['serve', '--store', store, '--listen', `127.0.0.1:${port}`, '--web-dir', DIST_DIR];
  if (basemapUrl) args.push('--basemap-url', basemapUrl);
  if (basemapAttribution) args.push('--basemap-attribution', basemapAttribution);
  const child = spawn(SERVER_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`gridatlas serve exited (${child.exitCode}):\n${log}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`gridatlas serve did not answer /health within 30 s:\n${log}`);
    }
    await sleep(100);
  }
  return { url, stop, get log() { return log; } };
}

/**
 * A stand-in raster basemap on a free port: every `/{z}/{x}/{y}.png` is the same small PNG.
 * Resolves to `{ url, requests, stop }` where `url` is the template the server is given.
 */
export async function startBasemap() {
  const { createServer: createHttpServer } = await import('node:http');
  // 8 × 8 pale-blue PNG.
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR42mO4++IDVsQwtCQArPWtQSmIOL8AAAAASUVORK5CYII=',
    'base64',
  );
  const requests = [];
  const srv = createHttpServer((req, res) => {
    requests.push(req.url);
    if (/^\/\d+\/\d+\/\d+\.png$/.test(req.url)) {
      res.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' });
      res.end(png);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const port = await freePort();
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}/{z}/{x}/{y}.png`,
    requests,
    stop: () => new Promise((r) => srv.close(r)),
  };
}

/** Launches headless Chromium. */
export function launchBrowser() {
  if (!existsSync(CHROMIUM_BIN)) {
    throw new Error(`no Chromium at ${CHROMIUM_BIN}: install Debian's \`chromium\` or set CHROMIUM_BIN`);
  }
  return chromium.launch({ executablePath: CHROMIUM_BIN, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens the map in a new page and waits until MapLibre has loaded its style and drawn the first
 * frame. Console errors, page errors and failed requests are collected in `page.problems`.
 */
export async function openMap(browser, url, { lang, viewport = { width: 1280, height: 820 } } = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const failure = r.failure()?.errorText || '';
    // A tile request cancelled because the view moved on is not a problem.
    if (failure.includes('ERR_ABORTED')) return;
    page.problems.push(`request failed: ${r.url()} ${failure}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  // `url` may carry a query of its own (`…/?grid=CODE`): the language joins it.
  const q = lang ? `lang=${lang}` : '';
  await page.goto(url.includes('?') ? `${url}${q ? `&${q}` : ''}` : `${url}/${q ? `?${q}` : ''}`);
  await page.waitForFunction(() => window.gridAtlas?.ready === true, null, { timeout: 30_000 });
  await waitForIdle(page);
  return page;
}

/** Waits until the map has finished loading and drawing (MapLibre's `idle`). */
export async function waitForIdle(page, timeout = 30_000) {
  await page.evaluate(
    (ms) => new Promise((resolveIdle, reject) => {
      const { map } = window.gridAtlas;
      const timer = setTimeout(() => reject(new Error('map did not become idle')), ms);
      const done = () => { clearTimeout(timer); resolveIdle(); };
      if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
        // Make sure one full frame has been drawn with everything loaded.
        map.once('idle', done);
        map.triggerRepaint();
      } else {
        map.once('idle', done);
      }
    }),
    timeout,
  );
}

/** Moves the map to `center` / `zoom` at once and waits for it to be drawn. */
export async function jumpTo(page, center, zoom) {
  await page.evaluate(([c, z]) => window.gridAtlas.map.jumpTo({ center: c, zoom: z }), [center, zoom]);
  await waitForIdle(page);
}

/** Saves a full-page screenshot as test-output/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** GET a JSON document from the server. */
export async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${res.status} ${url}`);
  return res.json();
}

/** Signs in through the API (`POST /api/session`); resolves to the bearer token. */
export async function signIn(url, name, password = TEST_PASSWORD) {
  const res = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (!res.ok) throw new Error(`sign-in of ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

/**
 * One API call: `{ status, etag, body }` (body parsed as JSON when there is one). `token` adds
 * `Authorization: Bearer`, `ifMatch` an `If-Match` header.
 */
export async function api(url, { method = 'GET', body, token, ifMatch } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  if (ifMatch !== undefined) headers['If-Match'] = ifMatch;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, etag: res.headers.get('etag'), body: parsed };
}

/**
 * A pixel (page coordinates) where the topmost clickable feature is `id` of `layer` and no panel
 * covers the map, or null.
 */
export async function pixelOf(page, layer, id) {
  const p = await page.evaluate(([l, fid]) => {
    const { map, layerIds, interactiveLayers } = window.gridAtlas;
    const clickable = interactiveLayers.filter((x) => map.getLayer(x));
    const mine = new Set(layerIds[l]);
    const canvas = map.getCanvas();
    const { width, height, left, top } = canvas.getBoundingClientRect();
    for (let y = 8; y < height; y += 6) {
      for (let x = 8; x < width; x += 6) {
        // Not under a panel floating over the map.
        if (document.elementFromPoint(left + x, top + y) !== canvas) continue;
        const hits = map.queryRenderedFeatures([[x - 3, y - 3], [x + 3, y + 3]], { layers: clickable });
        if (hits.length && mine.has(hits[0].layer.id) && hits[0].id === fid) {
          // The click handler looks at a 3-pixel box too; make sure nothing else is on top nearby.
          return { x, y };
        }
      }
    }
    return null;
  }, [layer, id]);
  if (!p) return null;
  const box = await page.locator('#map canvas').boundingBox();
  return { x: box.x + p.x, y: box.y + p.y };
}

/** Signs in through the top bar's form, as a user would, and waits for the account to show. */
export async function signInUi(page, name, password = TEST_PASSWORD) {
  await page.click('#account-signin');
  await page.fill('#signin-name', name);
  await page.fill('#signin-password', password);
  await page.press('#signin-password', 'Enter');
  await page.locator('#account-who', { hasText: name }).waitFor();
}

/** No console errors, page errors or failed requests, besides those matching `expected` (HTTP statuses a test provokes on purpose). */
export function assertNoProblems(page, expected = []) {
  const left = page.problems.filter((p) => !expected.some((re) => re.test(p)));
  assert.deepEqual(left, [], 'console errors, page errors or failed requests');
}
