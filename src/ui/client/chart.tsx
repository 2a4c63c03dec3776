import type { FinishedInMinute } from './types.js';

const WIDTH = 640;
const HEIGHT = 180;
const LEFT = 36;
const BOTTOM = 22;
const TOP = 10;

/** 1, 2, 5, 10, 20, 50 …: the smallest at or above `n`, so the axis reads in round numbers. */
export function roundUp(n: number): number {
  for (let step = 1; ; step *= 10) {
    for (const m of [1, 2, 5]) if (m * step >= n) return m * step;
  }
}

const clock = (iso: string) =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * Jobs finished per minute over the last hour as stacked bars (succeeded below, failed
 * above), drawn as inline SVG: sixty bars need no chart library, scale with the page, and
 * each bar names its minute and counts on hover; the figure's text says the totals for those
 * who cannot see the bars.
 */
export function FinishedChart({ minutes }: { minutes: FinishedInMinute[] }) {
  const top = roundUp(Math.max(1, ...minutes.map((m) => m.succeeded + m.failed)));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(1, minutes.length);
  const y = (count: number) => (count / top) * plotHeight;
  const sum = (field: 'succeeded' | 'failed' | 'cancelled') =>
    minutes.reduce((total, m) => total + m[field], 0);
  const summary =
    `In the last hour: ${sum('succeeded')} succeeded, ${sum('failed')} failed, ` +
    `${sum('cancelled')} cancelled.`;

  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="chart-caption">
        <line class="axis" x1={LEFT} y1={TOP} x2={WIDTH} y2={TOP} />
        <line class="axis" x1={LEFT} y1={HEIGHT - BOTTOM} x2={WIDTH} y2={HEIGHT - BOTTOM} />
        <text class="tick" x={LEFT - 6} y={TOP + 4} text-anchor="end">
          {top}
        </text>
        <text class="tick" x={LEFT - 6} y={HEIGHT - BOTTOM} text-anchor="end">
          0
        </text>
        {minutes.map((m, i) => {
          const x = LEFT + i * slot + 1;
          const ok = y(m.succeeded);
          const bad = y(m.failed);
          return (
            <g key={m.start}>
              <title>
                {clock(m.start)}: {m.succeeded} succeeded, {m.failed} failed
              </title>
              {/* The whole slot's height answers hover, not only the drawn bar. */}
              <rect class="hit" x={x - 1} y={TOP} width={slot} height={plotHeight} />
              {ok > 0 ? (
                <rect
                  class="bar-succeeded"
                  x={x}
                  y={HEIGHT - BOTTOM - ok}
                  width={slot - 2}
                  height={ok}
                />
              ) : null}
              {bad > 0 ? (
                <rect
                  class="bar-failed"
                  x={x}
                  y={HEIGHT - BOTTOM - ok - bad}
                  width={slot - 2}
                  height={bad}
                />
              ) : null}
            </g>
          );
        })}
        {minutes.length ? (
          <>
            <text class="tick" x={LEFT} y={HEIGHT - 6}>
              {clock(minutes[0].start)}
            </text>
            <text class="tick" x={WIDTH} y={HEIGHT - 6} text-anchor="end">
              now
            </text>
          </>
        ) : null}
      </svg>
      <figcaption id="chart-caption">
        Jobs finished per minute. {summary} <span class="legend legend-succeeded">succeeded</span>{' '}
        <span class="legend legend-failed">failed</span>
      </figcaption>
    </figure>
  );
}
