import type { StandardEditorProps } from '@grafana/data';
import { DataSourcePicker } from '@grafana/runtime';
import React from 'react';

import { ZVIZ_DATASOURCE_TYPE } from '@zviz/shared/plugin-ids';

/** Panel option: the ZViz datasource that answers audit queries for a non-ZViz panel query. */
export function AuditDatasourceEditor({ value, onChange }: StandardEditorProps<string | undefined>) {
  return (
    <DataSourcePicker
      current={value ?? null}
      pluginId={ZVIZ_DATASOURCE_TYPE}
      noDefault
      onChange={(ds) => onChange(ds.uid)}
      onClear={() => onChange(undefined)}
    />
  );
}
