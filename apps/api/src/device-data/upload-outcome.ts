import type { IngestErrorRecord, StoredReading } from '#db';
import type { ReadingRow, Rejection } from '#domain';

/** Rejections shown in an answer; all of them are counted and recorded in ingest_errors. */
const SHOWN_REJECTIONS = 100;

/** What an upload stored, found already stored, and rejected (by reason), as it goes. */
export class UploadOutcome {
  stored = 0;
  duplicated = 0;
  readonly rejected: Record<string, number> = {};
  readonly examples: (Rejection & { line?: number })[] = [];

  constructor(
    readonly deviceId: number,
    readonly topic: string,
  ) {}

  reject(rejection: Rejection, line?: number): IngestErrorRecord {
    this.rejected[rejection.reason] = (this.rejected[rejection.reason] ?? 0) + 1;
    if (this.examples.length < SHOWN_REJECTIONS) {
      this.examples.push(line === undefined ? rejection : { ...rejection, line });
    }
    return { ...rejection, deviceId: this.deviceId, token: null, topic: this.topic };
  }

  rows(rows: ReadingRow[]): StoredReading[] {
    return rows.map((r) => ({
      deviceId: this.deviceId,
      sensorId: r.sensorId,
      recordedAt: r.recordedAt,
      value: r.value,
    }));
  }

  /** `inserted` of `offered` readings were new; the rest were stored before. */
  written(offered: number, inserted: number): void {
    this.stored += inserted;
    this.duplicated += offered - inserted;
  }

  get rejectedCount(): number {
    return Object.values(this.rejected).reduce((a, b) => a + b, 0);
  }

  message(): string {
    return `${this.stored} readings stored, ${this.duplicated} already stored, ${this.rejectedCount} rejected`;
  }
}
