import { createColors } from 'picocolors';
import { describe, expect, it } from 'vitest';

import { summaryLines } from './summary';

const plain = createColors(false);
const snap = {
  decisions: [
    { syscall: 'openat', counts: { allow: 120, emulate: 0, log: 0, deny: 6, trap: 0, kill: 0 }, total: 126 },
    { syscall: 'connect', counts: { allow: 0, emulate: 0, log: 3, deny: 0, trap: 0, kill: 0 }, total: 3 },
  ],
  p99Seconds: 0.000045,
  rangeSeconds: 300,
  health: [
    { agent: 'http://127.0.0.1:9090', node: 'demo', status: 'healthy', containers: 3, broker_status: 'running' },
  ],
  audit: [{ timestamp: Date.parse('2024-01-15T10:30:00Z'), body: 'deny openat layer=broker path="/etc/shadow"' }],
  errors: [],
};

describe('summaryLines', () => {
  it('shows the decisions that happened, agent health, latency, latest audit events and the watched alerts', () => {
    const lines = summaryLines(
      snap,
      [{ labels: { alertname: 'ZVizSecurityViolation' }, state: 'pending', activeAt: '2024-01-15T10:29:00Z' }],
      new Map([['ZVizSecurityViolation', '5m']]),
      plain,
      Date.parse('2024-01-15T10:31:00Z')
    );
    const text = lines.join('\n');
    expect(text).toMatch(/the last 5 min through the backend datasource/);
    // Only the decisions that occurred get a column.
    expect(text).toMatch(/^ {2}SYSCALL +ALLOW +LOG +DENY +TOTAL$/m);
    expect(text).toMatch(/^ {2}openat +120 +0 +6 +126$/m);
    expect(text).toContain('agent demo healthy, 3 containers, broker running · broker p99 45 µs');
    expect(text).toContain('deny openat layer=broker path="/etc/shadow"');
    expect(text).toMatch(/alerts: ZVizSecurityViolation pending since \d\d:\d\d:\d\d \(fires after 5m\)$/m);
  });

  it('says when there is nothing yet, and names firing alerts it does not watch', () => {
    const text = summaryLines(
      { ...snap, decisions: [], errors: ['decisions: Prometheus at http://x: connection refused'] },
      [{ labels: { alertname: 'ZVizBrokerDown' }, state: 'firing', activeAt: '' }],
      new Map([['ZVizSecurityViolation', '5m']]),
      plain
    ).join('\n');
    expect(text).toContain('decisions: Prometheus at http://x: connection refused');
    expect(text).toContain('no decisions in Prometheus yet');
    expect(text).toContain('alerts: ZVizSecurityViolation inactive · ZVizBrokerDown FIRING');
  });

  it('shows what a workload named escaped, never as terminal control', () => {
    // A program name that would clear the screen, set the title and forge a red line.
    const hostile = './\x1b[2J\x1b]0;PWNED\x07\x1b[31mfake\nline\u202e';
    const text = summaryLines(
      {
        ...snap,
        decisions: [{ ...snap.decisions[0], syscall: `openat${hostile}` }],
        audit: [{ timestamp: Date.parse('2024-01-15T10:30:00Z'), body: `log execve path="${hostile}"` }],
        health: [{ ...snap.health[0], node: hostile }],
        errors: [`decisions: ${hostile}`],
      },
      [{ labels: { alertname: hostile }, state: 'firing', activeAt: '' }],
      new Map(),
      plain
    ).join('\n');
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u202e]/);
    expect(text).toContain('log execve path="./\\x1B[2J\\x1B]0;PWNED\\x07\\x1B[31mfake\\nline\\u202E"');
    expect(text).toContain('agent ./\\x1B[2J');
  });
});
