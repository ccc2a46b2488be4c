/**
 * A FIFO async lock: `run(fn)` runs `fn` after every earlier `run` has settled. Used as the
 * single writer of the watch folder's shared bookkeeping (moves and the manifest) when jobs
 * run in parallel. Uncontended it costs one resolved promise.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    // The next waiter starts after this one settles, whether it succeeded or threw.
    this.tail = result.catch(() => {});
    return result;
  }
}
