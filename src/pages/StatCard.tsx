// The Overview page's figure card: one fleet figure, its state and a link to the
// dashboard that explains it. It lives with the page that shows it, so that
// components/ (the app shell, which routes to pages) and pages/ import one way.
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { LinkButton, useStyles2 } from '@grafana/ui';
import React from 'react';

export type Health = 'ok' | 'warning' | 'critical' | 'unknown';

interface Props {
  title: string;
  value: string;
  detail?: string;
  health: Health;
  href: string;
  linkText: string;
}

/** One fleet figure with its state and a link to the dashboard that explains it. */
export function StatCard({ title, value, detail, health, href, linkText }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <section className={styles.card} aria-label={title} data-health={health}>
      <h3 className={styles.title}>{title}</h3>
      <div className={styles.value} style={{ color: healthColor(health, styles) }}>
        {value}
      </div>
      {detail && <div className={styles.detail}>{detail}</div>}
      <div>
        <LinkButton href={href} size="sm" fill="text" variant="primary" icon="apps">
          {linkText}
        </LinkButton>
      </div>
    </section>
  );
}

function healthColor(health: Health, styles: ReturnType<typeof getStyles>): string {
  return styles.colors[health];
}

const getStyles = (theme: GrafanaTheme2) => ({
  card: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
    padding: theme.spacing(2),
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    minWidth: 180,
  }),
  title: css({ margin: 0, fontSize: theme.typography.h6.fontSize, color: theme.colors.text.secondary }),
  value: css({ fontSize: theme.typography.h2.fontSize, fontWeight: theme.typography.fontWeightMedium }),
  detail: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  colors: {
    ok: theme.colors.success.text,
    warning: theme.colors.warning.text,
    critical: theme.colors.error.text,
    unknown: theme.colors.text.primary,
  } as Record<Health, string>,
});
