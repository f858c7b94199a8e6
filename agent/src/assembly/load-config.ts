// Loads the configuration `zviz agent` runs with: the core's loader
// (config/load.ts) given the composed schema's validator and the checks of
// the components' own sections.
import type { ValidateFunction } from 'ajv';

import { loadConfigWith, type LoadOptions, type LoadResult } from '../config/load';
import { containerOutputProblems } from '../containers/config';
import type { Config } from './config-sections';
import { configSchemaValidator } from './schema-validator';

let validator: ValidateFunction | undefined;

export function loadConfig(options: LoadOptions = {}): LoadResult<Config> {
  return loadConfigWith<Config>(options, {
    validator: () => (validator ??= configSchemaValidator()),
    check: (config) => containerOutputProblems(config.containers),
  });
}
