import { readChaosRows } from '../tools/harness/chaos-results.js';

/**
 * Prints the table of `npm run test:chaos` and exits 1 when any scenario lost or duplicated a
 * reading, left a wrong latest value, let a bad input go unrecorded, or let an intruder read
 * device traffic or store a reading under another token.
 */
const rows = readChaosRows();
const columns = [
  ['scenario', 'scenario'],
  ['faults', 'faults'],
  ['sent', 'sent'],
  ['acknowledged', 'acked'],
  ['stored', 'stored'],
  ['lost', 'lost'],
  ['duplicated', 'duplicated'],
  ['wrongLatest', 'wrong latest'],
  ['badTried', 'bad inputs'],
  ['badRecorded', 'bad recorded'],
  ['stolen', 'stolen'],
  ['spoofed', 'spoofed'],
  ['peakRssMb', 'peak RSS MB'],
  ['realRatePct', 'real rate %'],
] as const;
const cells = rows.map((r) => columns.map(([key]) => String(r[key] ?? '-')));
const total = columns.map(([key]) =>
  key === 'scenario'
    ? 'total'
    : key === 'peakRssMb'
      ? String(Math.max(0, ...rows.map((r) => r.peakRssMb ?? 0)))
      : key === 'realRatePct'
        ? '-'
        : String(rows.reduce((sum, r) => sum + Number(r[key] ?? 0), 0)),
);
const table = [columns.map(([, title]) => title), ...cells, total];
const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row: string[]) =>
  `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log('\nChaos and fuzz results');
console.log(line(table[0]));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
const bad = rows.filter(
  (r) =>
    r.lost !== 0 ||
    r.duplicated !== 0 ||
    r.wrongLatest !== 0 ||
    (r.badTried ?? 0) !== (r.badRecorded ?? 0) ||
    (r.stolen ?? 0) !== 0 ||
    (r.spoofed ?? 0) !== 0,
);
if (rows.length === 0) {
  console.log('no chaos results were recorded');
  process.exit(1);
}
if (bad.length > 0) {
  console.log(`FAILED: ${bad.map((r) => r.scenario).join(', ')}`);
  process.exit(1);
}
