// Dashboard variables as picker options, so that a query can name `$node`
// wherever it names an agent, a container or a syscall.
import { getTemplateSrv } from '@grafana/runtime';

/** `$name` of every dashboard variable, offered in pickers next to the real values. */
export function variableOptions(): Array<{ label: string; value: string; description: string }> {
  try {
    return getTemplateSrv()
      .getVariables()
      .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'Dashboard variable' }));
  } catch {
    return [];
  }
}
