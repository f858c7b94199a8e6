import {
  createDataFrame,
  dateTime,
  type FieldConfigSource,
  FieldType,
  LoadingState,
  type PanelData,
  type PanelProps,
  ThresholdsMode,
} from '@grafana/data';
import { act, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';
import { of } from 'rxjs';

import { decisionsFrames, syscallNames } from '../../../../test/support/frontend/decision-frames';
import { type DecisionsPanelOptions, defaultOptions } from '../types';
import { DecisionsPanel } from './DecisionsPanel';

const fetchMock = jest.fn();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: fetchMock }),
  getDataSourceSrv: () => ({ getInstanceSettings: () => undefined }),
  getTemplateSrv: () => ({ replace: (s: string) => s }),
}));

const range = {
  from: dateTime(1_700_000_000_000 - 3_600_000),
  to: dateTime(1_700_000_000_000),
  raw: { from: 'now-1h', to: 'now' },
};

function props(
  data: Partial<PanelData>,
  options: Partial<DecisionsPanelOptions> = {},
  fieldConfig?: FieldConfigSource
) {
  return {
    id: 1,
    data: { state: LoadingState.Done, series: [], timeRange: range, ...data },
    options: { ...defaultOptions, ...options },
    fieldConfig: fieldConfig ?? { defaults: {}, overrides: [] },
    width: 900,
    height: 600,
    timeRange: range,
    timeZone: 'utc',
    title: 'Decisions',
    transparent: false,
    renderCounter: 0,
    replaceVariables: (s: string) => s,
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    onChangeTimeRange: jest.fn(),
    eventBus: {} as PanelProps['eventBus'],
  } as unknown as PanelProps<DecisionsPanelOptions>;
}

// Role queries skip the visibility check (getComputedStyle on every node),
// which dominates the time of these tests; nothing here is hidden by CSS.
configure({ defaultHidden: true });

// jsdom lays nothing out; give the scrolling body the size a browser would
// (the virtualizer reads clientHeight).
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 500 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 900 });
});

beforeEach(() => fetchMock.mockReset());

function rowNames(): string[] {
  return screen.queryAllByRole('rowheader').map((e) => e.textContent ?? '');
}

describe('DecisionsPanel', () => {
  it('renders only the visible rows of 400 syscalls', () => {
    render(<DecisionsPanel {...props({ series: decisionsFrames({ syscalls: 400 }) })} />);
    const grid = screen.getByRole('grid', { name: 'Decisions by syscall' });
    expect(grid).toHaveAttribute('aria-rowcount', '401');
    const rendered = rowNames().length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);
    expect(screen.getByText('400 syscalls')).toBeInTheDocument();
    // Default sort is by total, descending: the fixture's heaviest syscall first.
    expect(rowNames()[0]).toBe('read');
  });

  it('filters rows by the search box', () => {
    render(<DecisionsPanel {...props({ series: decisionsFrames({ syscalls: 100, trendPoints: 0 }) })} />);
    fireEvent.change(screen.getByLabelText('Filter syscalls'), { target: { value: 'mount -umount2' } });
    expect(rowNames()).toEqual(['mount']);
    expect(screen.getByText('1 of 1 matching, 100 syscalls')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Filter syscalls'), { target: { value: 'nothing-like-this' } });
    expect(screen.getByText(/No syscall matches/)).toBeInTheDocument();
  });

  it('switches between count, rate and share', () => {
    const frame = createDataFrame({
      name: 'decisions',
      meta: { custom: { mode: 'count', rangeSeconds: 100 } },
      fields: [
        { name: 'syscall', type: FieldType.string, values: ['openat'] },
        { name: 'allow', type: FieldType.number, values: [300] },
        { name: 'deny', type: FieldType.number, values: [100] },
      ],
    });
    render(<DecisionsPanel {...props({ series: [frame] })} />);
    expect(screen.getByRole('button', { name: /^openat deny: 100\./ })).toBeInTheDocument();
    fireEvent.click(screen.getByRole('radio', { name: 'Rate' }));
    expect(screen.getByRole('button', { name: /^openat deny: 1(\.00)?\/s\./ })).toBeInTheDocument();
    fireEvent.click(screen.getByRole('radio', { name: 'Share' }));
    expect(screen.getByRole('button', { name: /^openat deny: 25(\.0)?%\./ })).toBeInTheDocument();
  });

  it('sorts by a column when its header is clicked, and reverses on a second click', () => {
    render(<DecisionsPanel {...props({ series: decisionsFrames({ syscalls: 30, trendPoints: 0 }) })} />);
    const names = syscallNames(30).sort((a, b) => a.localeCompare(b));
    fireEvent.click(screen.getByRole('button', { name: 'Sort by syscall' }));
    expect(rowNames().slice(0, 5)).toEqual(names.slice(0, 5));
    fireEvent.click(screen.getByRole('button', { name: 'Sort by syscall' }));
    expect(rowNames().slice(0, 5)).toEqual(names.reverse().slice(0, 5));
  });

  it('hides and shows a decision from the legend', () => {
    render(<DecisionsPanel {...props({ series: decisionsFrames({ syscalls: 10 }) })} />);
    expect(screen.getByRole('columnheader', { name: /allow/ })).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Hide allow' }));
    expect(screen.queryByRole('columnheader', { name: /allow/ })).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Show allow' }));
    expect(screen.getByRole('columnheader', { name: /allow/ })).toBeInTheDocument();
  });

  it('shows only the decisions chosen in the options, and the broker p99', () => {
    render(
      <DecisionsPanel
        {...props(
          { series: decisionsFrames({ syscalls: 10, p99LatencySeconds: 0.0031 }) },
          { decisions: ['deny', 'kill'] }
        )}
      />
    );
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['syscall', 'trend', 'deny', 'kill', 'total']);
    expect(screen.getByTestId('zviz-decisions-p99')).toHaveTextContent('broker p99 3.10 ms');
  });

  it('draws a sparkline per row from the trend frames', () => {
    render(<DecisionsPanel {...props({ series: decisionsFrames({ syscalls: 5 }) })} />);
    expect(screen.getByRole('img', { name: 'read trend' }).querySelectorAll('path')).toHaveLength(2);
  });

  it('colours cells that reach a threshold', () => {
    const frame = createDataFrame({
      name: 'decisions',
      meta: { custom: { mode: 'count', rangeSeconds: 60 } },
      fields: [
        { name: 'syscall', type: FieldType.string, values: ['mount', 'bpf'] },
        { name: 'allow', type: FieldType.number, values: [1000, 1000] },
        { name: 'deny', type: FieldType.number, values: [50, 2] },
      ],
    });
    const fieldConfig: FieldConfigSource = {
      defaults: {
        thresholds: {
          mode: ThresholdsMode.Absolute,
          steps: [
            { value: -Infinity, color: 'transparent' },
            { value: 10, color: '#ff0000' },
          ],
        },
      },
      overrides: [],
    };
    render(<DecisionsPanel {...props({ series: [frame] }, {}, fieldConfig)} />);
    expect(screen.getByRole('button', { name: /^mount deny/ })).toHaveStyle({ background: '#ff0000' });
    expect(screen.getByRole('button', { name: /^bpf deny/ })).not.toHaveStyle({ background: '#ff0000' });
    // Thresholds apply to denial-type decisions by default, not to allow.
    expect(screen.getByRole('button', { name: /^mount allow/ })).not.toHaveStyle({ background: '#ff0000' });
  });

  it('opens the audit events of a cell from the ZViz datasource', async () => {
    fetchMock.mockReturnValue(
      of({
        data: {
          results: {
            audit: {
              status: 200,
              frames: [
                {
                  schema: {
                    name: 'audit',
                    fields: [
                      { name: 'time', type: 'time' },
                      { name: 'container_id', type: 'string' },
                      { name: 'layer', type: 'string' },
                    ],
                  },
                  data: { values: [[1_700_000_000_000], ['ci-42'], ['broker']] },
                },
              ],
            },
          },
        },
      })
    );
    const request = { targets: [{ refId: 'A', datasource: { type: 'zviz-agent-datasource', uid: 'zviz' } }] };
    render(
      <DecisionsPanel
        {...props({ series: decisionsFrames({ syscalls: 10 }), request: request as unknown as PanelData['request'] })}
      />
    );
    fireEvent.click(screen.getByRole('button', { name: /^openat deny/ }));
    const table = await screen.findByRole('table', { name: 'Audit events' });
    expect(within(table).getByText('ci-42')).toBeInTheDocument();
    const body = fetchMock.mock.calls[0][0];
    expect(body.url).toBe('/api/ds/query');
    expect(body.data.queries[0]).toMatchObject({ queryType: 'audit', syscall: 'openat', decision: 'deny' });
    const explore = screen.getByRole('link', { name: /Open in Explore/ });
    expect(decodeURIComponent(explore.getAttribute('href') ?? '')).toContain('"syscall":"openat"');
  });

  it('says where to find audit events when the query is not a ZViz one', async () => {
    render(<DecisionsPanel {...props({ series: decisionsFrames({ syscalls: 3 }) })} />);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: /^read allow/ })));
    expect(screen.getByText('No ZViz datasource for audit events')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('shows an error when the audit query fails', async () => {
    fetchMock.mockReturnValue(
      of({ data: { results: { audit: { status: 502, error: 'agent node-1:9090 unreachable', frames: [] } } } })
    );
    const request = { targets: [{ refId: 'A', datasource: { type: 'zviz-agent-datasource', uid: 'zviz' } }] };
    render(
      <DecisionsPanel
        {...props({ series: decisionsFrames({ syscalls: 3 }), request: request as unknown as PanelData['request'] })}
      />
    );
    fireEvent.click(screen.getByRole('button', { name: /^read allow/ }));
    await waitFor(() => expect(screen.getByText('agent node-1:9090 unreachable')).toBeInTheDocument());
  });

  it('renders the no-data view for an empty result', () => {
    render(<DecisionsPanel {...props({ series: [] })} />);
    expect(screen.queryByRole('grid')).not.toBeInTheDocument();
    expect(screen.getByText(/Unable to render data/)).toBeInTheDocument();
  });

  it('explains frames without decisions', () => {
    const frame = createDataFrame({ name: 'cpu', fields: [{ name: 'Value', type: FieldType.number, values: [1] }] });
    render(<DecisionsPanel {...props({ series: [frame] })} />);
    expect(screen.getByText(/No syscall decisions in the result/)).toBeInTheDocument();
    expect(screen.getByText(/zviz_broker_decisions_total/)).toBeInTheDocument();
  });

  it('shows the query error when nothing came back', () => {
    render(<DecisionsPanel {...props({ state: LoadingState.Error, errors: [{ message: 'Prometheus: 503' }] })} />);
    expect(screen.getByText(/Prometheus: 503/)).toBeInTheDocument();
  });

  it('renders partial data with a warning', () => {
    render(
      <DecisionsPanel
        {...props({
          state: LoadingState.Error,
          series: decisionsFrames({ syscalls: 5 }),
          errors: [{ message: 'agent node-2:9090 timed out', refId: 'B' }],
        })}
      />
    );
    expect(screen.getByText(/the matrix is partial: agent node-2:9090 timed out/)).toBeInTheDocument();
    expect(screen.getByRole('grid')).toBeInTheDocument();
  });
});
