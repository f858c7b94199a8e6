import type { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import React, { Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';

import { AppSettingsContext } from '../../hooks/useAppSettings';
import { ROUTES } from '../../constants';
import { type ZVizAppSettings, withDefaults } from '../../settings';

// The root app may split code: its chunks load from the app's own path.
const Overview = React.lazy(() => import('../../pages/Overview'));
const Decisions = React.lazy(() => import('../../pages/Decisions'));
const Containers = React.lazy(() => import('../../pages/Containers'));
const Alerts = React.lazy(() => import('../../pages/Alerts'));

function App({ meta }: AppRootProps<ZVizAppSettings>) {
  return (
    <AppSettingsContext.Provider value={withDefaults(meta.jsonData)}>
      <Suspense fallback={<LoadingPlaceholder text="Loading..." />}>
        <Routes>
          <Route path={ROUTES.Overview} element={<Overview />} />
          <Route path={ROUTES.Decisions} element={<Decisions />} />
          <Route path={ROUTES.Containers} element={<Containers />} />
          <Route path={ROUTES.Alerts} element={<Alerts />} />
          <Route path="*" element={<Navigate to={ROUTES.Overview} replace />} />
        </Routes>
      </Suspense>
    </AppSettingsContext.Provider>
  );
}

export default App;
