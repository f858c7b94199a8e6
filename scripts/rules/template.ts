// Expands the %(name)s placeholders of the rule source, as monitoring mixins
// do. Everything else, including Go templates ({{ $value }}) and printf verbs
// ("%.2f"), passes through untouched.
import type { RulesConfig } from './config';

const PLACEHOLDER = /%\(([A-Za-z][A-Za-z0-9_]*)\)s/g;

export function expandText(text: string, config: RulesConfig, where: string): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = config[name];
    if (value === undefined) {
      throw new Error(`${where}: unknown placeholder %(${name})s; define ${name} in the rules config`);
    }
    return String(value);
  });
}

/** Expands every string inside a parsed YAML document. */
export function expandDeep(value: unknown, config: RulesConfig, where: string): unknown {
  if (typeof value === 'string') {
    return expandText(value, config, where);
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => expandDeep(item, config, `${where}[${i}]`));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandDeep(item, config, `${where}.${key}`)])
    );
  }
  return value;
}
