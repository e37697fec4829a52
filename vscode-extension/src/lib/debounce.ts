/** Trailing-edge debounce with cancel/flush; timers are injectable so tests stay deterministic. */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  /** Drop the pending call, if any. */
  cancel(): void;
  /** Run the pending call now, if any. */
  flush(): void;
  readonly pending: boolean;
}

/** Calls `fn` with the arguments of the last call, once no call came for `ms` milliseconds. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number, timers: Timers = realTimers): Debounced<A> {
  let handle: unknown;
  let lastArgs: A | undefined;
  const run = () => {
    const args = lastArgs;
    handle = undefined;
    lastArgs = undefined;
    if (args) {
      fn(...args);
    }
  };
  const debounced = ((...args: A) => {
    lastArgs = args;
    if (handle !== undefined) {
      timers.clearTimeout(handle);
    }
    handle = timers.setTimeout(run, ms);
  }) as Debounced<A>;
  debounced.cancel = () => {
    if (handle !== undefined) {
      timers.clearTimeout(handle);
    }
    handle = undefined;
    lastArgs = undefined;
  };
  debounced.flush = () => {
    if (handle !== undefined) {
      timers.clearTimeout(handle);
      run();
    }
  };
  Object.defineProperty(debounced, 'pending', { get: () => handle !== undefined });
  return debounced;
}

/**
 * Hands out increasing tickets so that only the newest of several overlapping async requests
 * (e.g. search-as-you-type) is applied.
 */
export class LatestOnly {
  private counter = 0;
  next(): number {
    return ++this.counter;
  }
  isLatest(ticket: number): boolean {
    return ticket === this.counter;
  }
}
