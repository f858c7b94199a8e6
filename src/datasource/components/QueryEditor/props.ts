// What every query type's editor takes and shares: its props (the query
// narrowed to its type) and the label width the editors line up on. Kept
// apart from QueryEditor.tsx, which renders the editors, so that they need
// not import the component that imports them.
import type { QueryEditorProps } from '@grafana/data';

import type { ZVizQuery } from '@zviz/shared/query';
import type { ZVizDataSource } from '../../datasource';
import type { ZVizOptions } from '../../types';

export type Props = QueryEditorProps<ZVizDataSource, ZVizQuery, ZVizOptions>;

export type TypedProps<Q> = Omit<Props, 'query'> & { query: Q };

export const LABEL_WIDTH = 14;
