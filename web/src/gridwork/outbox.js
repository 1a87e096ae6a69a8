// The grid worker's outbox (待发送): records made on the phone wait here, in the order they were
// made, until the server has them. Each carries a client id, so a record the server received but
// whose answer never arrived is sent again under the same id and kept once (the server answers 200
// with the stored record instead of 201). Kept in `storage` (localStorage, one key per account) so
// a closed page loses nothing. No DOM, no HTTP: `send` is given; unit-tested in node.

/** The entry waits to be sent. */
export const WAITING = 'waiting';
/** The server refused the entry (a 4xx other than a signed-out token): kept until discarded. */
export const REFUSED = 'refused';

/** The storage key of an account's outbox. */
export function outboxKey(account) {
  return `gridatlas.gridwork.outbox.${account}`;
}

/**
 * Whether a failed send is tried again later rather than refused: no answer (status 0), a
 * signed-out token (401: the worker signs in again), a timeout, too many requests, or a server
 * error.
 */
export function isRetryable(error) {
  const status = Number(error?.status ?? 0);
  return status === 0 || status === 401 || status === 408 || status === 425 || status === 429 || status >= 500;
}

/** What of a refusal is kept with the entry: status, the server's code, message and problems. */
function refusalOf(error) {
  return {
    status: Number(error?.status ?? 0),
    code: error?.code ?? null,
    message: String(error?.message ?? error ?? ''),
    problems: Array.isArray(error?.problems) ? error.problems : Array.isArray(error?.details?.problems) ? error.details.problems : [],
  };
}

function isEntry(e) {
  return Boolean(e && typeof e.client_id === 'string' && e.client_id && typeof e.kind === 'string' && e.body && typeof e.body === 'object');
}

/**
 * An outbox over `storage` (`getItem` / `setItem`) under `key`. `send(entry)` resolves with the
 * server's answer or rejects with an ApiError-like `{ status, code, message, problems }`;
 * `onChange(entries)` is told after every change. `now()` stamps entries (ms).
 */
export function createOutbox({ storage, key, send, onChange = () => {}, now = () => Date.now() }) {
  let entries = read();
  let running = null;
  // Whether the last write reached the storage (a full storage keeps entries in memory only).
  let stored = true;

  function read() {
    try {
      const list = JSON.parse(storage?.getItem(key) || '[]');
      return Array.isArray(list) ? list.filter(isEntry) : [];
    } catch {
      return [];
    }
  }

  function write() {
    try {
      storage?.setItem(key, JSON.stringify(entries));
      stored = true;
    } catch {
      stored = false;
    }
    onChange(entries);
  }

  /**
   * Queues a record `{ client_id, kind, body, label? }` at the end. A client id already queued is
   * not queued twice: the existing entry is returned.
   */
  function add({ client_id: clientId, kind, body, label = '' }) {
    const existing = entries.find((e) => e.client_id === clientId);
    if (existing) return existing;
    const entry = { client_id: clientId, kind, body, label, queued_at: now(), state: WAITING, refusal: null };
    if (!isEntry(entry)) throw new Error('an outbox entry needs a client id, a kind and a body');
    entries = [...entries, entry];
    write();
    return entry;
  }

  /**
   * Sends the waiting entries one at a time, oldest first. A sent entry leaves the outbox; a
   * refused one stays, marked refused, and the next is sent; a failure worth retrying (no
   * connection, server error) stops the run and keeps the rest waiting. One run at a time: a
   * call during a run returns that run. Resolves to `{ sent: [{ entry, reply }], refused:
   * [entry], stopped: error | null }`.
   */
  function flush() {
    running ??= (async () => {
      const result = { sent: [], refused: [], stopped: null };
      const tried = new Set();
      for (;;) {
        const entry = entries.find((e) => e.state === WAITING && !tried.has(e.client_id));
        if (!entry) break;
        tried.add(entry.client_id);
        try {
          const reply = await send(entry);
          entries = entries.filter((e) => e.client_id !== entry.client_id);
          write();
          result.sent.push({ entry, reply });
        } catch (error) {
          if (isRetryable(error)) {
            result.stopped = error;
            break;
          }
          const refused = { ...entry, state: REFUSED, refusal: refusalOf(error) };
          entries = entries.map((e) => (e.client_id === entry.client_id ? refused : e));
          write();
          result.refused.push(refused);
        }
      }
      return result;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  /** Drops an entry (a refused record the worker gives up, or corrects and records anew). */
  function discard(clientId) {
    const before = entries.length;
    entries = entries.filter((e) => e.client_id !== clientId);
    if (entries.length !== before) write();
  }

  return {
    add,
    flush,
    discard,
    /** Every entry, oldest first. */
    get entries() { return entries; },
    /** The entries waiting to be sent. */
    get waiting() { return entries.filter((e) => e.state === WAITING); },
    /** The entries the server refused. */
    get refused() { return entries.filter((e) => e.state === REFUSED); },
    /** Whether a run is sending now. */
    get sending() { return running !== null; },
    /** Whether the last change reached the storage (false: the phone's storage is full). */
    get stored() { return stored; },
  };
}
