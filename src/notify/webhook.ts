/**
 * `--webhook URL`: POST a job's result JSON to a receiver, with retries.
 *
 * One delivery is at most `tries` requests within `budgetMs` (defaults: 5 tries over about
 * a minute, waiting 2, 5, 15 and 30 s between them; each request times out after 10 s, or
 * sooner when the budget runs out). Network errors, timeouts and 5xx answers are retried;
 * a 4xx is the receiver refusing this body, and sending it again would not change that,
 * so it is not. A 3xx is not followed: fetch would turn the POST into a GET without the
 * body, so proxx says to give the final URL instead. The waits have no random jitter
 * (proxx is deterministic); each delivery has its own schedule, so one slow receiver
 * does not hold up another.
 *
 * Headers: `Content-Type: application/json`, `User-Agent: proxx/<version>`,
 * `Idempotency-Key` (stable for the job: the same on every retry and after a restart),
 * and with a secret `X-Proxx-Signature: sha256=<hex HMAC-SHA256 of the body bytes>`,
 * GitHub's form. Credentials in the URL (`https://user:pass@host/…`) are sent as an
 * `Authorization: Basic` header (fetch refuses them in the URL) and never printed: logs
 * and events show `redactUrl(url)`, the outbox stores a hash of the URL, not the URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactUrl, signBody } from "./webhook.ts";
 * assert.equal(redactUrl("https://user:pw@hooks.example.com/T0/B0/secret?token=x"), "https://***@hooks.example.com/…");
 * assert.equal(
 *   signBody("It's a Secret to Everybody", new TextEncoder().encode("Hello, World!")),
 *   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
 * );
 * ```
 */
import { createHash, createHmac } from "node:crypto";
import type { Platform } from "../platform/types.ts";
import { deadline, DeadlineError } from "../util/timers.ts";

export interface RetryPolicy {
  /** Requests at most, the first included. */
  tries: number;
  /** Wait before the 2nd, 3rd… request (the last value repeats). */
  delaysMs: number[];
  /** No request starts after this long since the first one. */
  budgetMs: number;
  /** One request (connect, send, answer) may take this long. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  tries: 5,
  delaysMs: [2000, 5000, 15000, 30000],
  budgetMs: 60_000,
  requestTimeoutMs: 10_000,
};

/**
 * Test knob, not documented for users: `PROXX_TEST_WEBHOOK_TIMING="delay_ms=50 timeout_ms=1500"`
 * (also `budget_ms`, `tries`) shortens the schedule so tests do not wait a real minute.
 */
export function retryPolicyFrom(knob: string | undefined): RetryPolicy {
  if (!knob) return DEFAULT_RETRY_POLICY;
  const policy = { ...DEFAULT_RETRY_POLICY };
  for (const part of knob.trim().split(/\s+/)) {
    const [key, raw] = part.split("=");
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) continue;
    if (key === "delay_ms") policy.delaysMs = [n];
    if (key === "timeout_ms") policy.requestTimeoutMs = n;
    if (key === "budget_ms") policy.budgetMs = n;
    if (key === "tries") policy.tries = Math.max(1, Math.floor(n));
  }
  // A test knob may shorten the schedule, never stretch it past the documented limits.
  policy.tries = Math.min(policy.tries, DEFAULT_RETRY_POLICY.tries);
  policy.budgetMs = Math.min(policy.budgetMs, DEFAULT_RETRY_POLICY.budgetMs);
  policy.requestTimeoutMs = Math.min(policy.requestTimeoutMs, DEFAULT_RETRY_POLICY.requestTimeoutMs);
  return policy;
}

/** A receiver, as given on the command line. */
export interface WebhookTarget {
  /** What is fetched: the URL without its credentials. */
  url: string;
  /** `Basic …` made from the URL's credentials; null without any. */
  authorization: string | null;
  /** What logs and events show (redactUrl). */
  display: string;
  /** SHA-256 of the normalised URL: names this receiver in the outbox without writing the URL down. */
  id: string;
}

/** Parse a `--webhook` value; the error message never contains the URL itself. */
export function parseWebhookUrl(raw: string): WebhookTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error("is not a URL (expected http://… or https://…)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`must be an http:// or https:// URL, not ${url.protocol}//…`);
  }
  let authorization: string | null = null;
  if (url.username !== "" || url.password !== "") {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    authorization = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;
    url.username = "";
    url.password = "";
  }
  url.hash = "";
  return {
    url: url.href,
    authorization,
    display: redactUrl(raw),
    // Normalised (scheme and host case, default port), so one receiver keeps one id across restarts.
    id: createHash("sha256").update(new URL(raw).href).digest("hex"),
  };
}

/**
 * A URL as logs show it: scheme, host and port only. Credentials become `***@`, and the
 * path and query become `/…`, because services put the secret there (Slack's and Discord's
 * webhook URLs are a token in the path).
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const auth = url.username !== "" || url.password !== "" ? "***@" : "";
    const rest = url.pathname !== "/" || url.search !== "" ? "/…" : "";
    return `${url.protocol}//${auth}${url.host}${rest}`;
  } catch {
    return "(not a URL)";
  }
}

/** `sha256=<hex HMAC-SHA256 of body with secret>`: the `X-Proxx-Signature` value. */
export function signBody(secret: string, body: Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface DeliveryRequest {
  /** The `Idempotency-Key` header. */
  key: string;
  /** The exact bytes sent (and signed). */
  body: string;
}

export type DeliveryOutcome =
  | { kind: "delivered"; status: number; attempts: number }
  | { kind: "failed"; status: number | null; attempts: number; reason: string }
  /** The stop signal ended it before an answer: it is still due (the outbox keeps it). */
  | { kind: "stopped"; attempts: number };

export interface DeliveryOptions {
  secret: string | null;
  userAgent: string;
  policy: RetryPolicy;
  signal: AbortSignal;
}

type Attempt =
  | { kind: "ok"; status: number }
  | { kind: "stopped" }
  | { kind: "error"; status: number | null; reason: string; retry: boolean };

/** Send one delivery with retries; never throws. */
export async function deliver(
  platform: Platform,
  target: WebhookTarget,
  request: DeliveryRequest,
  options: DeliveryOptions,
): Promise<DeliveryOutcome> {
  const { policy, signal } = options;
  const body = new TextEncoder().encode(request.body);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": options.userAgent,
    "Idempotency-Key": request.key,
  };
  if (target.authorization) headers.Authorization = target.authorization;
  if (options.secret) headers["X-Proxx-Signature"] = signBody(options.secret, body);

  const started = platform.monotonic();
  const elapsed = () => platform.monotonic() - started;
  let last: Extract<Attempt, { kind: "error" }> | null = null;
  let attempts = 0;
  while (attempts < policy.tries) {
    if (attempts > 0) {
      const wait = policy.delaysMs[Math.min(attempts - 1, policy.delaysMs.length - 1)] ?? 0;
      if (elapsed() + wait >= policy.budgetMs) break;
      await platform.sleep(wait, signal);
    }
    if (signal.aborted) return { kind: "stopped", attempts };
    const timeoutMs = Math.max(1, Math.min(policy.requestTimeoutMs, policy.budgetMs - elapsed()));
    attempts++;
    const attempt = await post(platform, target, headers, body, timeoutMs, signal);
    if (attempt.kind === "ok") return { kind: "delivered", status: attempt.status, attempts };
    if (attempt.kind === "stopped") return { kind: "stopped", attempts };
    last = attempt;
    if (!attempt.retry) break;
  }
  const tries = attempts === 1 ? "1 try" : `${attempts} tries`;
  return {
    kind: "failed",
    status: last?.status ?? null,
    attempts,
    reason: last ? `${last.reason} (${tries})` : `no try fitted in the retry budget`,
  };
}

async function post(
  platform: Platform,
  target: WebhookTarget,
  headers: Record<string, string>,
  body: Uint8Array,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Attempt> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener("abort", stop, { once: true });
  try {
    // The deadline covers the answer's body too: a receiver that sends headers and then
    // stalls is as stuck as one that never answers.
    const { status, statusText, text } = await deadline(
      platform,
      (async () => {
        const response = await fetch(target.url, {
          method: "POST",
          headers,
          body: body as Uint8Array<ArrayBuffer>,
          redirect: "manual",
          signal: controller.signal,
        });
        return { status: response.status, statusText: response.statusText, text: await firstBytes(response, 2048) };
      })(),
      timeoutMs,
    );
    if (status >= 200 && status < 300) return { kind: "ok", status };
    const said = text.trim().split("\n")[0]?.slice(0, 200) ?? "";
    const answer = `HTTP ${status}${statusText ? ` ${statusText}` : ""}${said ? `: ${said}` : ""}`;
    if (status >= 500) return { kind: "error", status, reason: answer, retry: true };
    if (status >= 300 && status < 400) {
      return {
        kind: "error",
        status,
        retry: false,
        reason: `HTTP ${status}, a redirect: not followed (it would turn the POST into a GET without the result); ` +
          `give the URL it redirects to`,
      };
    }
    return {
      kind: "error",
      status,
      retry: false,
      reason: `${answer}; not retried (a 4xx is the receiver refusing it)`,
    };
  } catch (error) {
    controller.abort();
    if (signal.aborted) return { kind: "stopped" };
    if (error instanceof DeadlineError) {
      return {
        kind: "error",
        status: null,
        retry: true,
        reason: `no answer within ${Math.round(timeoutMs / 100) / 10} s`,
      };
    }
    return { kind: "error", status: null, retry: true, reason: networkReason(error, target) };
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** At most `limit` bytes of the answer, as text; the rest is not read. */
async function firstBytes(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all.subarray(0, limit));
}

/** A fetch error as one line, without the URL in it (runtimes put it in some messages). */
function networkReason(error: unknown, target: WebhookTarget): string {
  const e = error as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = [e.message, e.cause?.message].filter(Boolean).join(": ") || String(error);
  const line = `${message}${code && !message.includes(code) ? ` (${code})` : ""}`.split("\n")[0]!;
  return line.replaceAll(target.url, target.display);
}
