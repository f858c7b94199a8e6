import { FieldConfigProperty, PanelPlugin, type SelectableValue, ThresholdsMode } from '@grafana/data';

import { DECISIONS } from '@zviz/shared/agent-api';
import { BROKER_DECISIONS_TOTAL } from '@zviz/shared/metric-names';
import { AuditDatasourceEditor } from './components/AuditDatasourceEditor';
import { DecisionsPanel } from './components/DecisionsPanel';
import { type DecisionsPanelOptions, defaultOptions } from './types';

// No dynamic import() here: a nested plugin's lazy chunks would be requested
// from the wrong public path.
export const plugin = new PanelPlugin<DecisionsPanelOptions>(DecisionsPanel)
  .useFieldConfig({
    standardOptions: {
      [FieldConfigProperty.Thresholds]: {
        defaultValue: {
          mode: ThresholdsMode.Absolute,
          steps: [{ value: -Infinity, color: 'transparent' }],
        },
      },
    },
    disableStandardOptions: [
      FieldConfigProperty.Unit,
      FieldConfigProperty.Min,
      FieldConfigProperty.Max,
      FieldConfigProperty.FieldMinMax,
      FieldConfigProperty.Decimals,
      FieldConfigProperty.DisplayName,
      FieldConfigProperty.NoValue,
      FieldConfigProperty.Mappings,
      FieldConfigProperty.Links,
      FieldConfigProperty.Actions,
      FieldConfigProperty.Color,
      FieldConfigProperty.Filterable,
    ],
  })
  .setPanelOptions((builder) =>
    builder
      .addRadio({
        path: 'mode',
        name: 'Values',
        description: 'Decisions over the time range, per second, or as a share of each syscall',
        defaultValue: defaultOptions.mode,
        settings: {
          options: [
            { value: 'count', label: 'Count' },
            { value: 'rate', label: 'Rate' },
            { value: 'share', label: 'Share' },
          ],
        },
      })
      .addMultiSelect({
        path: 'decisions',
        name: 'Decisions shown',
        description: 'Columns to show; none selected shows every decision in the data',
        defaultValue: defaultOptions.decisions,
        settings: {
          // The builder types a multi-select's options by the whole value (string[]); each option is one decision.
          options: DECISIONS.map((d) => ({ value: d, label: d })) as unknown as Array<SelectableValue<string[]>>,
          allowCustomValue: true,
        },
      })
      .addSelect({
        path: 'sortBy',
        name: 'Sort by',
        defaultValue: defaultOptions.sortBy,
        settings: {
          options: [
            { value: 'total', label: 'Total' },
            { value: 'syscall', label: 'Syscall name' },
            ...DECISIONS.map((d) => ({ value: d, label: d })),
          ],
          allowCustomValue: true,
        },
      })
      .addBooleanSwitch({ path: 'sortDesc', name: 'Descending', defaultValue: defaultOptions.sortDesc })
      .addNumberInput({
        path: 'topN',
        name: 'Top N',
        description: 'Show only the first N syscalls after sorting; 0 shows all',
        defaultValue: defaultOptions.topN,
        settings: { min: 0, integer: true },
      })
      .addRadio({
        path: 'thresholdScope',
        name: 'Thresholds apply to',
        description: 'Cells coloured by the thresholds (in the unit of the values shown) when they reach one',
        defaultValue: defaultOptions.thresholdScope,
        settings: {
          options: [
            { value: 'attention', label: 'deny, trap, kill' },
            { value: 'all', label: 'All decisions' },
          ],
        },
      })
      .addBooleanSwitch({
        path: 'showToolbar',
        name: 'Filter and mode toolbar',
        defaultValue: defaultOptions.showToolbar,
        category: ['Display'],
      })
      .addBooleanSwitch({
        path: 'showTrend',
        name: 'Trend sparklines',
        defaultValue: defaultOptions.showTrend,
        category: ['Display'],
      })
      .addBooleanSwitch({
        path: 'showLegend',
        name: 'Legend',
        defaultValue: defaultOptions.showLegend,
        category: ['Display'],
      })
      .addBooleanSwitch({
        path: 'showLatency',
        name: 'Broker p99 latency',
        description: 'Shown in the legend when the query returns it',
        defaultValue: defaultOptions.showLatency,
        category: ['Display'],
      })
      .addSelect({
        path: 'inputKind',
        name: 'Series values are',
        description: `For Prometheus series: raw counters (${BROKER_DECISIONS_TOTAL}), rates (rate()), or counts (increase()). Auto decides from the metric name and query.`,
        defaultValue: defaultOptions.inputKind,
        category: ['Data'],
        settings: {
          options: [
            { value: 'auto', label: 'Auto' },
            { value: 'counter', label: 'Counters' },
            { value: 'rate', label: 'Rates per second' },
            { value: 'count', label: 'Counts over the range' },
          ],
        },
      })
      .addCustomEditor({
        id: 'auditDatasourceUid',
        path: 'auditDatasourceUid',
        name: 'Audit datasource',
        description: 'ZViz datasource that answers "show audit events" when the panel query is not a ZViz one',
        category: ['Audit events'],
        editor: AuditDatasourceEditor,
      })
      .addNumberInput({
        path: 'auditLimit',
        name: 'Events per cell',
        defaultValue: defaultOptions.auditLimit,
        category: ['Audit events'],
        settings: { min: 1, max: 1000, integer: true },
      })
  );
