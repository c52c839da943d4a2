import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { LiveOutput } from './live-output.js';
import { backlogPause, type LiveRelayService } from './live-relay.service.js';
import { OutputLoop } from './output-loop.js';

type Step = Awaited<ReturnType<LiveRelayService['step']>>;

/** A relay whose steps answer from `answers` in turn (then an idle poll) and record when they ran. */
function fakeRelay(answers: Step[]) {
  const ran: number[] = [];
  const relay = {
    isStopped: false,
    step: () => {
      ran.push(performance.now());
      return Promise.resolve(answers.shift() ?? 60_000);
    },
    report: () => undefined,
    recovered: () => undefined,
  };
  return { relay: relay as unknown as LiveRelayService, ran };
}

const output = { name: 'firehose' } as LiveOutput;

describe('the live relay loop', () => {
  it('scales the pause after a paced step with its duty', () => {
    expect(backlogPause(40, 25)).toBe(120);
    expect(backlogPause(40, 100)).toBe(0);
    expect(backlogPause(10, 5)).toBe(190);
  });

  it('pauses a second at most, so that the next step soon looks at saturation again', () => {
    expect(backlogPause(52, 5)).toBe(988);
    expect(backlogPause(300, 5)).toBe(1000);
  });

  it('runs again at once while batches wait and the output is not paced', async () => {
    const { relay, ran } = fakeRelay([0, 0]);
    const loop = new OutputLoop(output, relay);
    loop.wake();
    await sleep(50);
    loop.stop();
    expect(ran).toHaveLength(3);
  });

  it('keeps a paced pause although commit notifications keep waking it', async () => {
    const { relay, ran } = fakeRelay([{ holdMs: 150 }]);
    const loop = new OutputLoop(output, relay);
    loop.wake();
    for (let i = 0; i < 10; i++) {
      await sleep(10);
      loop.wake();
    }
    expect(ran).toHaveLength(1);
    await sleep(150);
    loop.stop();
    expect(ran).toHaveLength(2);
    expect(ran[1] - ran[0]).toBeGreaterThanOrEqual(145);
  });

  it('lets a notification cut an idle poll short', async () => {
    const { relay, ran } = fakeRelay([5000]);
    const loop = new OutputLoop(output, relay);
    loop.wake();
    await sleep(20);
    loop.wake();
    await sleep(20);
    loop.stop();
    expect(ran).toHaveLength(2);
  });
});
