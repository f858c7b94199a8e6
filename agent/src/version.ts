// Build identity. The bundler replaces these at build time; in tests and
// development they fall back to the package version and "dev".
// BUILD_TIME is RFC 3339 UTC to the second (SOURCE_DATE_EPOCH when set, so
// reproducible builds stay reproducible).
declare const __ZVIZ_VERSION__: string | undefined;
declare const __ZVIZ_COMMIT__: string | undefined;
declare const __ZVIZ_BUILD_TIME__: string | undefined;

export const VERSION: string =
  typeof __ZVIZ_VERSION__ === 'string' ? __ZVIZ_VERSION__ : (require('../package.json') as { version: string }).version;
export const COMMIT: string = typeof __ZVIZ_COMMIT__ === 'string' ? __ZVIZ_COMMIT__ : 'dev';
export const BUILD_TIME: string = typeof __ZVIZ_BUILD_TIME__ === 'string' ? __ZVIZ_BUILD_TIME__ : 'dev';
