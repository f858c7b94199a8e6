import { formattedValueToString, getValueFormat } from '@grafana/data';

import type { DisplayMode } from './data/view';

const short = getValueFormat('short');
const percent = getValueFormat('percentunit');
const seconds = getValueFormat('s');

export function formatValue(value: number, mode: DisplayMode): string {
  if (mode === 'share') {
    return formattedValueToString(percent(value, value > 0 && value < 0.001 ? 3 : 1));
  }
  if (mode === 'rate') {
    return `${formattedValueToString(short(value, value < 10 ? 2 : 1))}/s`;
  }
  return formattedValueToString(short(value, value < 1000 ? 0 : 1));
}

export function formatLatency(secondsValue: number): string {
  return formattedValueToString(seconds(secondsValue, 2));
}

export function formatRange(rangeSeconds: number): string {
  return formattedValueToString(seconds(rangeSeconds, 0));
}
