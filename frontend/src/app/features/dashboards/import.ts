import { CHART_KINDS, DASHBOARD_SCHEMA, DashboardDefinition } from '../../core/model/dashboards';

export type ImportResult = { definition: DashboardDefinition; problems: [] } | { definition: null; problems: string[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an exported dashboard file before it is sent: not JSON, not a dashboard, or a
 * panel without what it needs is named here, each problem with where it is
 * (`panels[1].queries`). The API checks the rest (every expression is parsed there)
 * and its problem is shown as it answered.
 */
export function readImport(text: string): ImportResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { definition: null, problems: [`The file is not JSON: ${(err as Error).message}`] };
  }
  if (!isObject(doc)) return { definition: null, problems: ['The file holds no dashboard (expected a JSON object).'] };
  const problems: string[] = [];
  if (doc['schema'] !== undefined && doc['schema'] !== DASHBOARD_SCHEMA) {
    problems.push(`schema: this is not an Observer-Eye dashboard (expected "${DASHBOARD_SCHEMA}", found ${JSON.stringify(doc['schema'])}).`);
  }
  if (typeof doc['title'] !== 'string' || !doc['title'].trim()) problems.push('title: a dashboard needs a title.');
  if (doc['description'] !== undefined && typeof doc['description'] !== 'string') problems.push('description: must be text.');
  const panels = doc['panels'] ?? [];
  if (!Array.isArray(panels)) {
    problems.push('panels: must be a list of panels.');
  } else {
    panels.forEach((p: unknown, i) => {
      const at = `panels[${i}]`;
      if (!isObject(p)) {
        problems.push(`${at}: must be an object.`);
        return;
      }
      if (typeof p['title'] !== 'string' || !p['title'].trim()) problems.push(`${at}.title: a panel needs a title.`);
      const queries = p['queries'];
      if (!Array.isArray(queries) || !queries.length || !queries.every((q) => typeof q === 'string' && q.trim())) {
        problems.push(`${at}.queries: a list of one or more PromQL expressions.`);
      }
      if (p['chart'] !== undefined && !(CHART_KINDS as readonly unknown[]).includes(p['chart'])) {
        problems.push(`${at}.chart: one of ${CHART_KINDS.join(', ')}.`);
      }
    });
  }
  if (problems.length) return { definition: null, problems };
  return { definition: { ...(doc as unknown as DashboardDefinition), description: (doc['description'] as string) ?? '', panels: panels as DashboardDefinition['panels'] }, problems: [] };
}

/** A file name for an exported dashboard. */
export function exportFileName(title: string): string {
  return `${title.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'dashboard'}.dashboard.json`;
}

/** A chosen file's text (FileReader: what every browser has). */
export function readText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}
