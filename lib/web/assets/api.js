// The dashboard's HTTP API, relative to the page (the dashboard may be mounted under a prefix):
// JSON requests with the bearer token, EventSource and WebSocket URLs (token as a query parameter,
// since they cannot set headers), and the token state (sessionStorage) pages re-run their effects on.
import { useEffect, useState } from 'preact/hooks';

const TOKEN_KEY = 'nest-micro-dashboard.token';

/** The token the user entered in this tab, or ''. */
export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

let auth = { needToken: false, version: 0 };
const listeners = new Set();

function publish(next) {
  auth = next;
  for (const listener of listeners) listener(auth);
}

/** An API answer was 401: ask for the token (once until one is entered). */
export function requireToken() {
  if (!auth.needToken) publish({ ...auth, needToken: true });
}

/** Stores the token and bumps `version`, so every page retries what it was doing. */
export function saveToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the token lives as long as the page does not reload */
  }
  publish({ needToken: false, version: auth.version + 1 });
}

/** `{ needToken, version }`, re-rendering the caller when it changes. */
export function useAuth() {
  const [state, setState] = useState(auth);
  useEffect(() => {
    listeners.add(setState);
    setState(auth);
    return () => listeners.delete(setState);
  }, []);
  return state;
}

/** A failed API call: the go-micro error JSON the server sent (id, code, detail, status). */
export class ApiError extends Error {
  constructor(error) {
    super(error.detail || error.status || `error ${error.code}`);
    this.error = error;
  }
}

/** Any thrown value as go-micro's error JSON, for the error panel. */
export function errorJson(error) {
  if (error instanceof ApiError) return error.error;
  const detail = error instanceof Error ? error.message : String(error);
  return { id: 'dashboard', code: 0, detail, status: 'Network Error' };
}

/** `api/<path>` with `params` as the query (and the token when `withToken`), relative to the page. */
export function apiUrl(path, params = {}, withToken = false) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, String(value));
  const t = token();
  if (withToken && t) query.set('token', t);
  const q = query.toString();
  return `./api/${path}${q ? `?${q}` : ''}`;
}

/** The absolute ws:// or wss:// URL of `api/<path>`. */
export function wsUrl(path, params = {}) {
  const url = new URL(apiUrl(path, params, true), location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** The absolute URL of `api/<path>` (for the curl command). */
export function absoluteApiUrl(path) {
  return new URL(`./api/${path}`, location.href).href;
}

/** GET or POST `api/<path>`; resolves with the JSON answer, throws an ApiError on a failure. */
export async function api(path, { params, body, signal } = {}) {
  const headers = { accept: 'application/json' };
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(apiUrl(path, params), {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status === 401) requireToken();
  if (!res.ok) {
    const error =
      json && typeof json === 'object' && 'code' in json
        ? json
        : {
            id: 'dashboard',
            code: res.status,
            detail: text.slice(0, 500) || res.statusText,
            status: res.statusText,
          };
    throw new ApiError(error);
  }
  return json;
}

/**
 * An EventSource on `api/<path>` that survives a 401 (asks for the token, reopens once it is
 * entered): `onEvent(name, data)` for each named event in `events`, `onState('open'|'retrying')`.
 * Returns the function that closes it.
 */
export function openEvents(path, params, events, onEvent, onState) {
  let source;
  let closed = false;
  let retry;
  const open = () => {
    source = new EventSource(apiUrl(path, params, true));
    source.addEventListener('open', () => onState?.('open'));
    for (const name of events) {
      source.addEventListener(name, (event) => {
        try {
          onEvent(name, JSON.parse(event.data));
        } catch {
          /* a malformed event is skipped */
        }
      });
    }
    source.addEventListener('error', () => {
      onState?.('retrying');
      if (source.readyState !== EventSource.CLOSED || closed) return;
      // the server refused (401, 404, …): find out why with a plain request, then try again
      api('services').catch(() => undefined);
      retry = setTimeout(() => !closed && !auth.needToken && open(), 2_000);
    });
  };
  open();
  return () => {
    closed = true;
    clearTimeout(retry);
    source?.close();
  };
}
