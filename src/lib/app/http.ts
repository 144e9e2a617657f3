/** HTTP helpers of the prediction server: errors for the page, JSON answers, the Host check and log escaping. */
import type { ServerResponse } from "node:http";
import { isIP } from "node:net";

/** An HTTP error with a message meant for the page; `close` ends the connection after the answer. */
export class HttpError extends Error {
  readonly close: boolean;

  constructor(
    readonly status: number,
    message: string,
    opts: { close?: boolean } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.close = opts.close ?? false;
  }
}

/** Send a JSON answer; `close` asks Node to end the connection once it is written. */
export function sendJson(res: ServerResponse, status: number, body: unknown, opts: { close?: boolean } = {}): void {
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  };
  if (opts.close) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** The names this machine answers to whatever the bind address. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

// Splits a Host header into a lower-case name (IPv6 kept in brackets) and the port, if any.
function splitHost(header: string): { name: string; port?: string } {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(header.trim());
  return match ? { name: match[1]!.toLowerCase(), port: match[2] } : { name: "" };
}

/**
 * Whether a request's Host header names this server: 127.0.0.1, localhost, [::1], the bound `host` or one of
 * `allowedHosts`, with the bound port or without. A wildcard bind (0.0.0.0 or ::) also accepts any IP literal,
 * which DNS rebinding cannot produce: a rebinding page always sends its own domain name. Otherwise answer 421.
 * @example
 * isAllowedHost("localhost:8080", { host: "127.0.0.1", port: 8080 }); // true
 * isAllowedHost("evil.example:8080", { host: "127.0.0.1", port: 8080 }); // false
 */
export function isAllowedHost(
  header: string | undefined,
  bound: { host: string; port: number; allowedHosts?: readonly string[] },
): boolean {
  if (!header) return false;
  const { name, port } = splitHost(header);
  if (!name || (port !== undefined && Number(port) !== bound.port)) return false;
  const own = isIP(bound.host) === 6 ? `[${bound.host}]` : bound.host;
  const names = [...LOOPBACK_HOSTS, own, ...(bound.allowedHosts ?? [])].map((n) => n.toLowerCase());
  if (names.includes(name)) return true;
  const wildcard = bound.host === "0.0.0.0" || bound.host === "::";
  return wildcard && isIP(name.replace(/^\[(.*)\]$/, "$1")) !== 0;
}

/**
 * A value made safe for a one-line log: backslashes doubled, control characters (newlines, carriage returns,
 * escape sequences, U+2028/9) written as `\n`, `\r`, `\t`, `\xNN` or `\uNNNN`, so a client cannot forge log lines.
 * @example
 * escapeLogValue("x.jpeg\n[serve] forged"); // "x.jpeg\\n[serve] forged"
 */
export function escapeLogValue(value: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\" };
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g, (c) => {
    if (named[c]) return named[c]!;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
