import { colorManipulator, type GrafanaTheme2 } from '@grafana/data';

import { ATTENTION_DECISIONS } from '../types';

// Named palette colours per decision: the theme resolves them for dark and
// light mode. Refusals take the reds so they stand out against allow's green.
const DECISION_COLORS: Record<string, string> = {
  allow: 'green',
  emulate: 'purple',
  log: 'blue',
  deny: 'red',
  trap: 'orange',
  kill: 'dark-red',
};

export function decisionColor(theme: GrafanaTheme2, decision: string): string {
  const name = DECISION_COLORS[decision];
  return name ? theme.visualization.getColorByName(name) : theme.colors.text.secondary;
}

export function isAttention(decision: string): boolean {
  return ATTENTION_DECISIONS.includes(decision);
}

/**
 * Background of a cell: the decision's colour, stronger for larger values on a
 * log scale so a handful of denials among millions of allows still shows.
 */
export function cellBackground(theme: GrafanaTheme2, decision: string, value: number, max: number): string {
  if (value <= 0 || max <= 0) {
    return 'transparent';
  }
  const intensity = Math.log1p(value) / Math.log1p(max);
  const floor = isAttention(decision) ? 0.35 : 0.08;
  const ceiling = isAttention(decision) ? 0.9 : 0.6;
  return colorManipulator.alpha(decisionColor(theme, decision), floor + (ceiling - floor) * intensity);
}

export function textOn(theme: GrafanaTheme2, background: string): string {
  if (background === 'transparent') {
    return theme.colors.text.primary;
  }
  // The cell is translucent: judge contrast on what the eye sees, the colour over the panel.
  const seen = colorManipulator.onBackground(background, theme.colors.background.primary).toHexString();
  return theme.colors.getContrastText(seen);
}
