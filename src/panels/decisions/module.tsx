import React from 'react';
import { PanelPlugin, type PanelProps } from '@grafana/data';

// Placeholder until the decisions panel lands.
function DecisionsPanel({ data }: PanelProps) {
  return <div>{data.series.length} frames</div>;
}

export const plugin = new PanelPlugin(DecisionsPanel);
