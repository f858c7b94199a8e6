import {
  type CoreApp,
  createDataFrame,
  CustomVariableSupport,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  FieldType,
  LiveChannelScope,
  type ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getGrafanaLiveSrv, getTemplateSrv } from '@grafana/runtime';
import { from, map, type Observable } from 'rxjs';

import {
  type AgentsResource,
  type ContainersResource,
  type LabelValuesResource,
  type ProfilesResource,
  RESOURCE_AGENTS,
  RESOURCE_CONTAINERS,
  RESOURCE_LABEL_VALUES,
  RESOURCE_PROFILES,
  RESOURCE_SYSCALLS,
  type SyscallsResource,
} from '@zviz/shared/resources';
import { DECISIONS_STREAM_PATH, type ZVizQuery } from '@zviz/shared/query';
import { VariableEditor } from './components/VariableEditor';
import type { ZVizOptions, ZVizVariableQuery } from './types';

export class ZVizDataSource extends DataSourceWithBackend<ZVizQuery, ZVizOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<ZVizOptions>) {
    super(instanceSettings);
    this.variables = new ZVizVariableSupport(this);
  }

  getDefaultQuery(_app: CoreApp): Partial<ZVizQuery> {
    return { queryType: 'decisions', mode: 'count' };
  }

  filterQuery(query: ZVizQuery): boolean {
    if (query.hide) {
      return false;
    }
    // An empty PromQL query would only produce an error frame.
    return query.queryType !== 'promql' || Boolean(query.expr?.trim());
  }

  applyTemplateVariables(query: ZVizQuery, scopedVars: ScopedVars): ZVizQuery {
    const srv = getTemplateSrv();
    const one = (v: string | undefined) => (v === undefined ? v : srv.replace(v, scopedVars));
    // A multi-value variable in a list expands into its values.
    const many = (vs: string[] | undefined) =>
      vs?.flatMap((v) => srv.replace(v, scopedVars, 'csv').split(',')).filter((v) => v !== '' && v !== '$__all');
    switch (query.queryType) {
      case 'decisions':
        return {
          ...query,
          syscalls: many(query.syscalls),
          decisions: many(query.decisions),
          selector: one(query.selector),
        };
      case 'promql':
        return { ...query, expr: srv.replace(query.expr, scopedVars), legendFormat: query.legendFormat };
      case 'audit':
        return {
          ...query,
          syscall: one(query.syscall),
          decision: one(query.decision),
          container: one(query.container),
          agent: one(query.agent),
        };
      case 'health':
        return { ...query, agent: one(query.agent) };
      default:
        return query;
    }
  }

  agents(): Promise<AgentsResource> {
    return this.getResource<AgentsResource>(RESOURCE_AGENTS);
  }

  containers(agent?: string): Promise<ContainersResource> {
    return this.getResource<ContainersResource>(RESOURCE_CONTAINERS, agent ? { agent } : undefined);
  }

  syscalls(selector?: string): Promise<SyscallsResource> {
    return this.getResource<SyscallsResource>(RESOURCE_SYSCALLS, selector ? { selector } : undefined);
  }

  profiles(): Promise<ProfilesResource> {
    return this.getResource<ProfilesResource>(RESOURCE_PROFILES);
  }

  labelValues(label: string, match?: string): Promise<LabelValuesResource> {
    return this.getResource<LabelValuesResource>(RESOURCE_LABEL_VALUES, match ? { label, match } : { label });
  }

  /** Decisions as they happen, from Grafana Live: channel `ds/<uid>/decisions[/<container>]`. */
  decisionsStream(container?: string): Observable<DataQueryResponse> {
    return getGrafanaLiveSrv().getDataStream({
      addr: {
        scope: LiveChannelScope.DataSource,
        stream: this.uid,
        path: container ? `${DECISIONS_STREAM_PATH}/${container}` : DECISIONS_STREAM_PATH,
      },
    });
  }

  /** The values a variable query lists, interpolating other variables first. */
  async variableValues(query: ZVizVariableQuery, scopedVars?: ScopedVars): Promise<string[]> {
    const srv = getTemplateSrv();
    const r = (v?: string) => (v ? srv.replace(v, scopedVars) : undefined);
    let values: string[];
    switch (query.kind) {
      case 'agents':
        values = (await this.agents()).agents.map((a) => a.instance);
        break;
      case 'containers':
        values = (await this.containers(r(query.agent))).containers.map((c) => c.id);
        break;
      case 'syscalls':
        values = (await this.syscalls()).syscalls;
        break;
      case 'profiles':
        values = (await this.profiles()).profiles;
        break;
      case 'label-values': {
        const label = r(query.label);
        if (!label) {
          throw new Error('Choose the Prometheus label whose values the variable lists.');
        }
        values = (await this.labelValues(label, r(query.match))).values;
        break;
      }
      default:
        throw new Error(`Unknown variable query kind "${String((query as { kind?: unknown }).kind)}".`);
    }
    if (query.regex) {
      const re = new RegExp(query.regex);
      values = values.filter((v) => re.test(v));
    }
    return Array.from(new Set(values)).sort((a, b) => a.localeCompare(b));
  }
}

export class ZVizVariableSupport extends CustomVariableSupport<ZVizDataSource, ZVizVariableQuery> {
  editor = VariableEditor;

  constructor(private readonly datasource: ZVizDataSource) {
    super();
  }

  query(request: DataQueryRequest<ZVizVariableQuery>): Observable<DataQueryResponse> {
    const query = request.targets[0];
    return from(this.datasource.variableValues(query, request.scopedVars)).pipe(
      map((values) => ({
        data: [createDataFrame({ refId: query.refId, fields: [{ name: 'text', type: FieldType.string, values }] })],
      }))
    );
  }
}
