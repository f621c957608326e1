// `npm run bench [-- part…]`: every benchmark figure the project reports, each beside its same-run baseline.
import { benchAb } from './ab.js';
import { benchCli } from './cli.js';
import { benchGateway } from './gateway.js';
import { benchProxy } from './proxy.js';
import { benchRead } from './read.js';
import { benchSoak } from './soak.js';
import { benchStore } from './store.js';
import { benchUi } from './ui.js';
import { benchUsage } from './usage.js';
import { benchView } from './view.js';

const parts = process.argv.slice(2);
// The soak runs for minutes (SOAK_MINUTES, default 10), ab builds an earlier commit, read seeds a million traces and ui
// seeds 100,000 and drives Chromium:
// only when asked for by name.
const want = (p: string) => (parts.length === 0 && !['soak', 'ab', 'read', 'view', 'ui'].includes(p)) || parts.includes(p);

if (want('store') || want('store:server') || want('store:embedded')) {
  const only = parts.includes('store:server') ? 'server' : parts.includes('store:embedded') ? 'embedded' : undefined;
  const rows = await benchStore(only);
  console.log('\nstore: sustained traces/s, create + complete, 2 KB request + 4 KB response bodies (median of runs)');
  console.log('backend   | traces | writer traces/s | baseline (raw INSERT) | ratio | target  | rows found | spilled ops | lost');
  console.log('----------+--------+-----------------+-----------------------+-------+---------+------------+-------------+-----');
  let failed = false;
  for (const r of rows) {
    const ok = r.writerRate >= r.target && r.rowsFound === r.traces && r.dropped === 0;
    failed ||= !ok;
    console.log(
      `${r.backend.padEnd(9)} | ${String(r.traces).padStart(6)} | ${r.writerRate.toFixed(0).padStart(15)} | ${r.baselineRate.toFixed(0).padStart(21)} | ${(r.writerRate / r.baselineRate).toFixed(2).padStart(5)} | ${`≥${r.target}`.padStart(7)} | ${String(r.rowsFound).padStart(10)} | ${String(r.spilled).padStart(11)} | ${String(r.traces - r.rowsFound).padStart(4)} ${ok ? 'ok' : 'BELOW TARGET'}`,
    );
  }
  console.log('\nstore, paced at the target rate: does the in-memory queue (1000 operations) absorb it?');
  console.log('backend   | offered traces/s | achieved traces/s | spilled ops');
  for (const r of rows) console.log(`${r.backend.padEnd(9)} | ${String(r.target).padStart(16)} | ${r.pacedRate.toFixed(0).padStart(17)} | ${String(r.pacedSpilled).padStart(11)}`);
  if (failed) process.exitCode = 1;
}

if (want('read') || want('read:server') || want('read:embedded')) {
  const only = parts.includes('read:server') ? 'server' : parts.includes('read:embedded') ? 'embedded' : undefined;
  const rows = await benchRead(only);
  console.log('\nread: ccproxy usage and traces pages over a seeded trace database (usage: whole history, Europe/Berlin days; traces: 50 lines; median after a warm-up)');
  console.log('backend   |    traces | rows      | query            | first run | median  | target   |');
  console.log('----------+-----------+-----------+------------------+-----------+---------+----------+');
  for (const r of rows) {
    const ok = r.targetMs === null || r.medianMs <= r.targetMs;
    if (!ok) process.exitCode = 1;
    console.log(
      `${r.backend.padEnd(9)} | ${String(r.traces).padStart(9)} | ${String(r.calls).padStart(9)} | ${r.report.padEnd(16)} | ${`${r.firstMs.toFixed(0)} ms`.padStart(9)} | ${`${r.medianMs.toFixed(0)} ms`.padStart(7)} | ${(r.targetMs === null ? 'none' : `≤${r.targetMs} ms`).padStart(8)} | ${r.targetMs === null ? 'body search: sequential scan' : ok ? 'ok' : 'BELOW TARGET'}${r.filter ? `  ${r.filter}` : ''}`,
    );
  }
}

if (want('usage')) await benchUsage();

if (want('proxy')) await benchProxy();

if (want('gateway')) await benchGateway();

if (want('cli')) await benchCli();

if (want('soak')) await benchSoak();

if (want('ab')) await benchAb();

if (want('view')) await benchView();

if (want('ui')) await benchUi();
