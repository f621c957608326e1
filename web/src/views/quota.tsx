// Quota: the 5-hour and 7-day utilisation the provider reported over time (Anthropic's unified rate-limit
// headers) as a chart, the latest values with their resets, and each session's share of the period.
import { apiPath } from '../api';
import { pct, shortId, usd, when } from '../format';
import { Empty, Failure, Loading } from '../parts/notice';
import { useApi } from '../parts/use-api';
import { href } from '../router';
import type { QuotaPoint, QuotaReport } from '../types';

const W = 900;
const H = 220;

function Chart({ points }: { points: QuotaPoint[] }) {
  const times = points.map((p) => Date.parse(p.time));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const x = (t: number) => 40 + ((t - t0) / (t1 - t0)) * (W - 50);
  const y = (u: number) => H - 20 - Math.min(1, Math.max(0, u)) * (H - 30);
  const line = (pick: (p: QuotaPoint) => number | null) =>
    points
      .map((p, i) => [times[i]!, pick(p)] as const)
      .filter(([, u]) => u !== null)
      .map(([t, u], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(u!).toFixed(1)}`)
      .join('');
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="quota utilisation over time">
      {[0, 0.25, 0.5, 0.75, 1].map((u) => (
        <g key={u}>
          <line x1={40} x2={W - 10} y1={y(u)} y2={y(u)} class="grid" />
          <text x={4} y={y(u) + 4} class="axis">
            {Math.round(u * 100)}%
          </text>
        </g>
      ))}
      <path d={line((p) => p.five_hour.utilization)} class="l5h" />
      <path d={line((p) => p.seven_day.utilization)} class="l7d" />
      <text x={40} y={H - 4} class="axis">
        {when(new Date(t0).toISOString())}
      </text>
      <text x={W - 160} y={H - 4} class="axis">
        {when(new Date(t1).toISOString())}
      </text>
    </svg>
  );
}

export function QuotaView() {
  const { data, error, reload } = useApi<QuotaReport>(apiPath('/api/quota'));
  if (error && !data) return <Failure error={error} retry={reload} />;
  if (!data) return <Loading what="the quota" />;
  const l = data.latest;
  return (
    <section class="view quota">
      <h1>Quota</h1>
      <div class="muted">
        {when(data.since, true)} – {when(data.until, true)}
      </div>
      {data.points.length === 0 ? (
        <Empty>No response in this period carried quota headers (Anthropic's anthropic-ratelimit-unified-* headers, sent to subscription clients).</Empty>
      ) : (
        <>
          <div class="legend">
            <span class="k5h">■ 5-hour</span> <span class="k7d">■ 7-day</span>
          </div>
          <Chart points={data.points} />
        </>
      )}
      {l && (
        <table class="kv">
          <tbody>
            <tr>
              <th>5-hour</th>
              <td>
                {pct(l.five_hour.utilization)} {l.five_hour.status ?? ''} {l.five_hour.reset ? `· resets ${when(l.five_hour.reset)}` : ''}
              </td>
            </tr>
            <tr>
              <th>7-day</th>
              <td>
                {pct(l.seven_day.utilization)} {l.seven_day.status ?? ''} {l.seven_day.reset ? `· resets ${when(l.seven_day.reset)}` : ''}
              </td>
            </tr>
          </tbody>
        </table>
      )}
      <h2>Sessions' share</h2>
      {data.sessions.length === 0 ? (
        <Empty>No LLM calls in this period.</Empty>
      ) : (
        <table class="share">
          <thead>
            <tr>
              <th>session</th>
              <th class="r">calls</th>
              <th class="r">cost</th>
              <th>share</th>
            </tr>
          </thead>
          <tbody>
            {data.sessions.map((s) => (
              <tr key={s.session_id ?? '-'}>
                <td>{s.session_id ? <a href={href('session', s.session_id)}>{shortId(s.session_id)}</a> : <span class="muted">no session</span>}</td>
                <td class="r">{s.calls}</td>
                <td class="r">{usd(s.cost_usd)}</td>
                <td>
                  <span class="bar" style={{ width: `${Math.round(s.share * 200)}px` }} /> {pct(s.share)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
