import type { Fleet } from '../../tools/simulator/fleet.js';
import { FleetPublisher } from '../../tools/simulator/publisher.js';
import { perSecond } from '../../tools/simulator/rate.js';
import { publishPaced } from '../../tools/simulator/traffic.js';
import { type BenchContext, startPhase } from '../context.js';
import { type BenchIngestor, log, procStatus } from '../processes.js';
import type { Target } from '../target.js';

export interface OverloadResult {
  rate: number;
  achievedRate: number;
  seconds: number;
  peakRssMb: number;
  hwmMb: number;
  rssAtStartMb: number;
  storedPerSecond: number;
}

/** The ingestor's memory while offered three times the sustained rate (messages per second). */
export async function measureOverload(
  context: BenchContext,
  fleet: Fleet,
  main: Target,
  ingestor: BenchIngestor,
  sustainedMessages: number,
): Promise<OverloadResult> {
  startPhase(context, 'overload');
  const rate = Math.round(sustainedMessages * 3);
  const seconds = context.options.overloadSeconds;
  const pid = ingestor.child.pid!;
  const publisher = await FleetPublisher.connect({
    url: main.broker.url,
    connections: 4,
    qos: 1,
    clientIdPrefix: 'bench-ovl',
  });
  const start = procStatus(pid);
  let peakKb = start.rssKb;
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, procStatus(pid).rssKb);
  }, 250);
  const offer = async () => {
    const storedBefore = await ingestor.metric('sck_ingest_readings_stored_total');
    const totals = await publishPaced(fleet, publisher, { rate, durationMs: seconds * 1000 });
    const storedAfter = await ingestor.metric('sck_ingest_readings_stored_total');
    return { totals, stored: storedAfter - storedBefore };
  };
  const { totals, stored } = await offer().finally(() => clearInterval(sampler));
  const end = procStatus(pid);
  peakKb = Math.max(peakKb, end.rssKb);
  await publisher.close();
  const result = {
    rate,
    achievedRate: perSecond(totals.messages, totals.elapsedMs),
    seconds,
    peakRssMb: peakKb / 1024,
    hwmMb: end.hwmKb / 1024,
    rssAtStartMb: start.rssKb / 1024,
    storedPerSecond: perSecond(stored, totals.elapsedMs),
  };
  log(
    `overload: peak RSS ${result.peakRssMb.toFixed(0)} MB at ${result.achievedRate.toFixed(0)} msg/s offered`,
  );
  return result;
}
