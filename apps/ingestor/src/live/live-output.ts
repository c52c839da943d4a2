import type { LiveBatch, LiveSelection } from '#db';

/**
 * One way stored batches leave the service. The relay hands each output every batch in outbox
 * order, page by page, and saves the output's position once `send` resolves: a `send` that throws
 * (broker or job store away) gets the same page again later, so nothing is skipped; a crash between
 * `send` and the save repeats a page (at-least-once).
 */
export interface LiveOutput {
  /** Its saved position's name in live_positions. */
  readonly name: string;
  /** The batches it is handed; the relay reads only those in full. */
  readonly only: LiveSelection;
  send(batches: LiveBatch[]): Promise<void>;
}
