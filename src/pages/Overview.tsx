import React from 'react';
import { PluginPage } from '@grafana/runtime';

import { testIds } from '../components/testIds';

// Placeholder until the app pages land.
function Overview() {
  return (
    <PluginPage>
      <div data-testid={testIds.overview.container}>ZViz fleet overview</div>
    </PluginPage>
  );
}

export default Overview;
