import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { debounce, LatestOnly, Timers } from '../../src/lib/debounce';

/** Manual clock: timers fire only when advance() passes their due time. */
class FakeTimers implements Timers {
  now = 0;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now && this.pending.has(id)) {
        this.pending.delete(id);
        t.fn();
      }
    }
  }
  get size(): number {
    return this.pending.size;
  }
}

test('debounce runs once with the last arguments after the quiet period', () => {
  const timers = new FakeTimers();
  const calls: string[] = [];
  const d = debounce((q: string) => calls.push(q), 150, timers);
  d('o');
  timers.advance(100);
  d('oa');
  timers.advance(100);
  d('oauth');
  assert.deepEqual(calls, []);
  assert.equal(d.pending, true);
  timers.advance(149);
  assert.deepEqual(calls, []);
  timers.advance(1);
  assert.deepEqual(calls, ['oauth']);
  assert.equal(d.pending, false);
  assert.equal(timers.size, 0);
});

test('debounce cancel drops the pending call; flush runs it now', () => {
  const timers = new FakeTimers();
  const calls: number[] = [];
  const d = debounce((n: number) => calls.push(n), 500, timers);
  d(1);
  d.cancel();
  timers.advance(1000);
  assert.deepEqual(calls, []);
  d(2);
  d.flush();
  assert.deepEqual(calls, [2]);
  timers.advance(1000);
  assert.deepEqual(calls, [2], 'flushed call must not run again');
  d.flush();
  assert.deepEqual(calls, [2], 'flush without a pending call does nothing');
});

test('debounce calls separated by more than the delay each run', () => {
  const timers = new FakeTimers();
  const calls: string[] = [];
  const d = debounce((s: string) => calls.push(s), 10, timers);
  d('a');
  timers.advance(10);
  d('b');
  timers.advance(10);
  assert.deepEqual(calls, ['a', 'b']);
});

test('debounce works with real timers', async () => {
  const calls: number[] = [];
  const d = debounce((n: number) => calls.push(n), 20);
  d(1);
  d(2);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(calls, [2]);
});

test('LatestOnly keeps only the newest ticket', () => {
  const l = new LatestOnly();
  const a = l.next();
  const b = l.next();
  assert.equal(l.isLatest(a), false);
  assert.equal(l.isLatest(b), true);
});
