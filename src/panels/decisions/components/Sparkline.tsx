import React, { memo } from 'react';

import type { Trend } from '../data/matrix';

interface Props {
  trend?: Trend;
  width: number;
  height: number;
  color: string;
  label: string;
}

/**
 * One SVG path per row. @grafana/ui's Sparkline builds a uPlot instance per
 * call; with virtualized rows remounting while scrolling, a path is far
 * cheaper and looks the same at this size.
 */
export const Sparkline = memo(function Sparkline({ trend, width, height, color, label }: Props) {
  if (!trend || trend.values.length < 2) {
    return <svg width={width} height={height} aria-hidden="true" />;
  }
  const { times, values } = trend;
  const t0 = times[0];
  const span = times[times.length - 1] - t0 || 1;
  const max = Math.max(...values);
  const min = Math.min(0, ...values);
  const vspan = max - min || 1;
  const pad = 1;
  const points = values.map((v, i) => {
    const x = ((times[i] - t0) / span) * (width - 2 * pad) + pad;
    const y = height - pad - ((v - min) / vspan) * (height - 2 * pad);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const line = `M${points.join('L')}`;
  const area = `${line}L${(width - pad).toFixed(1)},${height - pad}L${pad},${height - pad}Z`;
  return (
    <svg width={width} height={height} role="img" aria-label={label}>
      <path d={area} fill={color} fillOpacity={0.15} stroke="none" />
      <path d={line} fill="none" stroke={color} strokeWidth={1.25} />
    </svg>
  );
});
