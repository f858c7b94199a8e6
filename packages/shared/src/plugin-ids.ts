// Grafana plugin ids of ZViz: the app and the datasource and panel nested in
// it. Grafana reads them from each plugin.json (src/plugin.json,
// src/datasource/plugin.json, src/panels/decisions/plugin.json); code reads
// them from here, and test/plugin/plugin-json.test.ts holds the two together.

export const ZVIZ_APP_ID = 'zviz-sandbox-app';

/** A datasource's `type` is its plugin id. */
export const ZVIZ_DATASOURCE_TYPE = 'zviz-agent-datasource';

export const ZVIZ_PANEL_ID = 'zviz-decisions-panel';
