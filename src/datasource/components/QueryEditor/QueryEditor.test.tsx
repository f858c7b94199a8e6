import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';

import type { ZVizQuery } from '@zviz/shared/query';
import { testDataSource } from '../../../../test/support/frontend/datasource';
import { QueryEditor } from './QueryEditor';
import { VariableEditor } from '../VariableEditor';
import type { ZVizVariableQuery } from '../../types';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => ({ getVariables: () => [{ name: 'instance' }], replace: (s: string) => s }),
}));

// Comboboxes driven by user-event take seconds each on a busy machine: no
// artificial typing delay, and the suite-wide test timeout (jest.config.js). Role queries
// skip the accessibility-tree walk (`hidden: true`), which computes styles for
// every element of Grafana's combobox and made one test pass 30 s under load;
// the option is still found by its role and accessible name.

// Combobox menus are virtualized; jsdom lays nothing out, so give elements the size a browser would.
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 400 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 400 });
  jest.spyOn(Element.prototype, 'getBoundingClientRect').mockReturnValue({
    width: 400,
    height: 400,
    top: 0,
    left: 0,
    bottom: 400,
    right: 400,
    x: 0,
    y: 0,
    toJSON: () => ({}),
  });
});

function renderEditor(initial: ZVizQuery, overrides = {}) {
  const { ds, calls } = testDataSource(overrides);
  const changes: ZVizQuery[] = [];
  const onRunQuery = jest.fn();
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        datasource={ds}
        query={query}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
        onRunQuery={onRunQuery}
      />
    );
  }
  render(<Harness />);
  return { calls, onRunQuery, last: () => changes[changes.length - 1] };
}

async function pick(label: string, option: string | RegExp) {
  const user = userEvent.setup({ delay: null });
  await user.click(screen.getByRole('combobox', { name: label, hidden: true }));
  await user.click(await screen.findByRole('option', { name: option, hidden: true }));
}

describe('QueryEditor', () => {
  it('fills the syscall picker from the backend and runs the query on a change', async () => {
    const { calls, onRunQuery, last } = renderEditor({ refId: 'A', queryType: 'decisions', mode: 'count' });
    await waitFor(() => expect(calls.map((c) => c.path)).toContain('syscalls'));
    await pick('Syscalls', /^mount/);
    expect(last()).toMatchObject({ queryType: 'decisions', syscalls: ['mount'] });
    expect(onRunQuery).toHaveBeenCalled();
    fireEvent.click(screen.getByRole('radio', { name: 'Time series' }));
    expect(last()).toMatchObject({ mode: 'timeseries', syscalls: ['mount'] });
  });

  it('offers dashboard variables next to the values', async () => {
    renderEditor({ refId: 'A', queryType: 'decisions' });
    await userEvent.setup({ delay: null }).click(screen.getByRole('combobox', { name: 'Syscalls' }));
    expect(await screen.findByRole('option', { name: /\$instance/ })).toBeInTheDocument();
  });

  it('rejects label matchers that are not PromQL', () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'decisions' });
    const input = screen.getByLabelText('Label matchers');
    fireEvent.change(input, { target: { value: 'instance=node-1' } });
    fireEvent.blur(input);
    expect(screen.getByText(/Write label matchers as in PromQL braces/)).toBeInTheDocument();
    expect(last()).toBeUndefined();
    fireEvent.change(input, { target: { value: 'instance="node-1:9090", job=~"zviz.*"' } });
    fireEvent.blur(input);
    expect(last()).toMatchObject({ selector: 'instance="node-1:9090", job=~"zviz.*"' });
  });

  it('switches query type to that type’s defaults', () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'decisions', syscalls: ['read'] });
    fireEvent.click(screen.getByRole('radio', { name: 'Audit events' }));
    expect(last()).toEqual({ refId: 'A', queryType: 'audit', limit: 100, hide: undefined, datasource: undefined });
  });

  it('edits PromQL and runs it with Shift+Enter', () => {
    const { last, onRunQuery } = renderEditor({ refId: 'A', queryType: 'promql', expr: '' });
    const expr = screen.getByLabelText('PromQL expression');
    fireEvent.change(expr, { target: { value: 'sum(rate(zviz_broker_requests_total[5m]))' } });
    fireEvent.keyDown(expr, { key: 'Enter', shiftKey: true });
    expect(last()).toMatchObject({ expr: 'sum(rate(zviz_broker_requests_total[5m]))' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  // One picker per test: three Grafana comboboxes driven in one test took
  // over 30 s under load.
  it('picks the container for audit events from the backend', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'audit' });
    await pick('Container', /build-42 \(ci-42\)/);
    expect(last()).toMatchObject({ queryType: 'audit', container: 'ci-42' });
  });

  it('picks the agent for audit events from the backend', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'audit', container: 'ci-42' });
    await pick('Agent', /node-2:9090/);
    expect(last()).toMatchObject({ container: 'ci-42', agent: 'node-2:9090' });
  });

  it('picks the decision of audit events and bounds the limit', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'audit' });
    await pick('Decision', 'deny');
    expect(last()).toMatchObject({ decision: 'deny' });
    fireEvent.change(screen.getByLabelText('Limit'), { target: { value: '5000' } });
    expect(screen.getByText('A whole number from 1 to 1000')).toBeInTheDocument();
  });

  it('shows why a picker is empty when the backend fails', async () => {
    renderEditor(
      { refId: 'A', queryType: 'health' },
      { agents: new Error('Prometheus at http://p:9090: connection refused') }
    );
    expect(await screen.findByText(/connection refused/)).toBeInTheDocument();
  });
});

describe('VariableEditor', () => {
  it('edits the kind and the label of a label-values variable', () => {
    const { ds } = testDataSource();
    const changes: ZVizVariableQuery[] = [];
    function Harness() {
      const [query, setQuery] = useState<ZVizVariableQuery>({ refId: 'v', kind: 'agents' });
      return (
        <VariableEditor
          datasource={ds}
          query={query}
          onChange={(q) => {
            changes.push(q);
            setQuery(q);
          }}
          onRunQuery={() => {}}
        />
      );
    }
    render(<Harness />);
    fireEvent.click(screen.getByRole('radio', { name: 'Label values' }));
    expect(screen.getByText('Required')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Label'), { target: { value: 'variant' } });
    fireEvent.blur(screen.getByLabelText('Label'));
    expect(changes[changes.length - 1]).toMatchObject({ kind: 'label-values', label: 'variant' });
    fireEvent.change(screen.getByLabelText('Regex'), { target: { value: '(' } });
    expect(screen.getByText(/Invalid regular expression|Unterminated group/)).toBeInTheDocument();
  });
});
