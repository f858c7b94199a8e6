import { createDataFrame, FieldType, LiveChannelScope, LoadingState } from '@grafana/data';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { Subject } from 'rxjs';

import { LiveDecisions } from './LiveDecisions';

const stream = new Subject<unknown>();
const getDataStream = jest.fn(() => stream);
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getGrafanaLiveSrv: () => ({ getDataStream }),
}));

function frame(decisions: string[]) {
  return createDataFrame({
    fields: [
      { name: 'time', type: FieldType.time, values: decisions.map((_, i) => 1_700_000_000_000 + i * 1000) },
      { name: 'container_id', type: FieldType.string, values: decisions.map(() => 'ci-42') },
      { name: 'syscall', type: FieldType.string, values: decisions.map((_, i) => `sys${i}`) },
      { name: 'decision', type: FieldType.string, values: decisions },
    ],
  });
}

describe('LiveDecisions', () => {
  it('subscribes to the container channel and shows the newest decisions first', async () => {
    render(<LiveDecisions datasourceUid="zviz" container="ci-42" />);
    expect(getDataStream).toHaveBeenCalledWith(
      expect.objectContaining({ addr: { scope: LiveChannelScope.DataSource, stream: 'zviz', path: 'decisions/ci-42' } })
    );
    expect(screen.getByText(/No decisions yet for ci-42/)).toBeInTheDocument();
    act(() => stream.next({ data: [frame(['allow', 'deny', 'kill'])], state: LoadingState.Streaming }));
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-decision'))).toEqual(['kill', 'deny', 'allow']);
    expect(screen.getByText('streaming')).toBeInTheDocument();
  });

  it('filters by decision and pauses', async () => {
    render(<LiveDecisions datasourceUid="zviz" decisions={['deny']} />);
    act(() => stream.next({ data: [frame(['allow', 'deny', 'allow'])], state: LoadingState.Streaming }));
    expect(screen.getAllByRole('row').slice(1)).toHaveLength(1);
    await userEvent.click(screen.getByRole('button', { name: /Pause/ }));
    expect(screen.getByText('paused')).toBeInTheDocument();
  });

  it('shows why the stream is unavailable', () => {
    render(<LiveDecisions datasourceUid="zviz" />);
    act(() => stream.error(new Error('Grafana Live is disabled')));
    expect(screen.getByText('Grafana Live is disabled')).toBeInTheDocument();
  });
});
