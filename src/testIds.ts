// The data-testid of every element the app's tests find, in one place for the
// components that set them and the tests that look for them.
export const testIds = {
  appConfig: {
    container: 'data-testid zviz-app-config',
    submit: 'data-testid ac-submit-form',
  },
  overview: {
    container: 'data-testid zviz-overview',
  },
  decisions: {
    container: 'data-testid zviz-decisions-page',
    live: 'data-testid zviz-live-decisions',
  },
  containers: {
    container: 'data-testid zviz-containers-page',
  },
  alerts: {
    container: 'data-testid zviz-alerts-page',
  },
};
