// The JSON API as the web app uses it: same-origin requests with the login
// cookie, or with a bearer token (the candidate's cabinet); an error answer
// becomes an ApiError whose text is the catalogue's, in the current
// language, when the server gave a key.

import { t, has } from "./i18n";

interface ErrorBody {
  error?: { code: string; key?: string; args?: Record<string, string>; message: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly key: string,
    readonly detail: string,
    readonly args: Record<string, string> = {},
  ) {
    super(key && has(key) ? t(key, args) : detail);
  }
}

export async function api<T>(method: string, path: string, body?: unknown, bearer?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (bearer !== undefined) headers["Authorization"] = `Bearer ${bearer}`;
  return request<T>(path, { method, credentials: "same-origin", headers, body: body === undefined ? null : JSON.stringify(body) });
}

/** Sends a request and decodes the JSON answer; an error answer throws an ApiError. */
export async function request<T>(path: string, init: RequestInit): Promise<T> {
  const resp = await fetch(path, init);
  const data = (await resp.json().catch(() => ({}))) as T & ErrorBody;
  if (!resp.ok) throw errorOf(resp, data);
  return data;
}

/** Fetches a file (a PDF); an error answer throws an ApiError. */
export async function requestBlob(path: string, init: RequestInit): Promise<Blob> {
  const resp = await fetch(path, init);
  if (!resp.ok) throw errorOf(resp, (await resp.json().catch(() => ({}))) as ErrorBody);
  return resp.blob();
}

function errorOf(resp: Response, data: ErrorBody): ApiError {
  const e = data.error;
  return new ApiError(resp.status, e?.code ?? "", e?.key ?? "", e?.message ?? resp.statusText, e?.args ?? {});
}

/** POSTs a file's bytes as the body, as type, with the login cookie. */
export async function upload<T>(path: string, file: Blob, type: string): Promise<T> {
  return request<T>(path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": type }, body: file });
}

/** The URL of a sitting's evidence file. */
export function evidenceURL(sitting: string, sha256: string): string {
  return `/api/sittings/${encodeURIComponent(sitting)}/evidence/${encodeURIComponent(sha256)}`;
}
