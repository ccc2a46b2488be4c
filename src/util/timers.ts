/**
 * Waiting on the platform clock: an abortable sleep and one `deadline` helper for every
 * "this, or give up after N ms" race, so that the fake platform's clock drives them all in
 * unit tests instead of real time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadline, DeadlineError } from "./timers.ts";
 * const clock = { setTimer: (ms: number, f: () => void) => { const t = setTimeout(f, ms); return () => clearTimeout(t); } };
 * await assert.rejects(deadline(clock, new Promise(() => {}), 1), DeadlineError);
 * ```
 */
import type { System } from "../platform/types.ts";

export type Clock = Pick<System, "setTimer">;

/** The deadline passed before the promise settled. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
  constructor(readonly ms: number) {
    super(`deadline of ${ms} ms passed`);
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts; never rejects (callers look at `signal.aborted`). */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let cancel = () => {};
    const done = () => {
      cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    cancel = clock.setTimer(Math.max(0, ms), done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Settles like `promise`, unless `ms` pass first (rejects with `DeadlineError`) or `signal`
 * aborts first (rejects with its reason). The timer is cancelled either way, so nothing lingers.
 */
export function deadline<T>(clock: Clock, promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let cancel = () => {};
    const settle = (finish: () => void) => {
      cancel();
      signal?.removeEventListener("abort", onAbort);
      finish();
    };
    const onAbort = () => settle(() => reject(signal!.reason));
    cancel = clock.setTimer(Math.max(0, ms), () => settle(() => reject(new DeadlineError(ms))));
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => settle(() => resolve(value)), (error) => settle(() => reject(error)));
  });
}
