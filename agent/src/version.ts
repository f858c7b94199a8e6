// Build identity. The bundler replaces these at build time; in tests and
// development they fall back to the package version and "dev".
declare const __ZVIZ_VERSION__: string | undefined;
declare const __ZVIZ_COMMIT__: string | undefined;

export const VERSION: string =
  typeof __ZVIZ_VERSION__ === 'string' ? __ZVIZ_VERSION__ : (require('../package.json') as { version: string }).version;
export const COMMIT: string = typeof __ZVIZ_COMMIT__ === 'string' ? __ZVIZ_COMMIT__ : 'dev';
