import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { AppRootProps, PluginType } from '@grafana/data';
import { render, waitFor } from '@testing-library/react';
import App from './App';

describe('Components/App', () => {
  let props: AppRootProps;

  beforeEach(() => {
    jest.resetAllMocks();

    props = {
      basename: 'a/zviz-sandbox-app',
      meta: {
        id: 'zviz-sandbox-app',
        name: 'ZViz',
        type: PluginType.app,
        enabled: true,
        jsonData: {},
      },
      query: {},
      path: '',
      onNavChanged: jest.fn(),
    } as unknown as AppRootProps;
  });

  test('renders the overview page by default', async () => {
    const { queryByText } = render(
      <MemoryRouter>
        <App {...props} />
      </MemoryRouter>
    );

    // The page is lazy loaded; on a busy machine importing @grafana/runtime alone takes seconds.
    // It may wait almost the whole test timeout (jest.config.js).
    await waitFor(() => expect(queryByText(/ZViz fleet overview/i)).toBeInTheDocument(), { timeout: 100_000 });
  });
});
