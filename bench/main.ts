// `npm run bench [-- part…]`: every benchmark figure the project reports, each beside its same-run baseline.
import { benchGateway } from './gateway.js';
import { benchProxy } from './proxy.js';
import { benchSoak } from './soak.js';
import { benchStore } from './store.js';

const parts = process.argv.slice(2);
// The soak runs for minutes (SOAK_MINUTES, default 10): only when asked for by name.
const want = (p: string) => (parts.length === 0 && p !== 'soak') || parts.includes(p);

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

if (want('proxy')) await benchProxy();

if (want('gateway')) await benchGateway();

if (want('soak')) await benchSoak();
