import type { CoherenceResult } from '@q2h/contracts';
import type { Relational } from '@q2h/relational';

export type ImportStatus = 'accepted' | 'processing' | 'done' | 'failed' | 'retracted';

export interface ImportView {
  id: string;
  filename: string;
  dialect: string;
  encoding: string;
  status: ImportStatus;
  rowsDone: number;
  bytesDone: number;
  bytesTotal: number;
  findings: number;
  hosts: number;
  createdAt: string;
  updatedAt: string;
  scannedAt?: string;
  error?: { line?: number; reason: string };
  declared?: { totalVulns: number | null; activeHosts: number | null };
  coherence: CoherenceResult[];
  coherenceLevel: 'ok' | 'warning' | 'error';
}

interface ImportRow {
  tenant: string;
  id: string;
  filename: string;
  dialect: string;
  encoding: string;
  status: ImportStatus;
  rows_done: string;
  bytes_done: string;
  bytes_total: string;
  findings: string;
  hosts: string;
  error_line: string | null;
  error_reason: string | null;
  declared_total_vulns: string | null;
  declared_active_hosts: string | null;
  scanned_at: string | null;
  created_at: Date;
  updated_at: Date;
}

const num = (v: string | null) => (v === null ? null : Number(v));

/** The import catalog as the API shows it. */
export class ImportCatalog {
  constructor(private readonly db: Relational) {}

  /** The newest import of this content that did not fail: re-uploads are recognised by their sha256. */
  async bySha256(tenant: string, sha256: string): Promise<{ id: string; status: ImportStatus } | undefined> {
    const row = await this.db('imports')
      .where({ tenant, sha256 })
      .whereNotIn('status', ['failed', 'retracted'])
      .orderBy('created_at', 'desc')
      .first('id', 'status');
    return row ? { id: row.id, status: row.status } : undefined;
  }

  /**
   * Changes whenever the latest state may have changed: the projector marks an import done or retracted
   * only after it changed findings_latest, so a view computed at one version holds until the next.
   */
  async latestStateVersion(tenant: string): Promise<string> {
    const row = (await this.db('imports')
      .where({ tenant })
      .whereIn('status', ['done', 'retracted'])
      .first(this.db.raw('count(*) as n'), this.db.raw('max(updated_at) as at'))) as
      | { n: string | number; at: Date | string | null }
      | undefined;
    return `${row?.n ?? 0}|${row?.at ? new Date(row.at).getTime() : 0}`;
  }

  async get(tenant: string, id: string): Promise<ImportView | undefined> {
    const row = await this.db<ImportRow>('imports').where({ tenant, id }).first();
    if (!row) return undefined;
    const coherence = await this.db('coherence_results')
      .where({ tenant, import_id: id })
      .orderBy('position')
      .select('check', 'entity', 'expected', 'actual', 'level');
    return toView(row, coherence);
  }

  async list(tenant: string, limit = 200): Promise<ImportView[]> {
    const rows = await this.db<ImportRow>('imports')
      .where({ tenant })
      .orderBy('created_at', 'desc')
      .limit(limit);
    if (rows.length === 0) return [];
    // Badges need the worst level only: one grouped query, not one per import.
    const levels = await this.db('coherence_results')
      .where({ tenant })
      .whereIn(
        'import_id',
        rows.map((r) => r.id),
      )
      .select('import_id', 'level');
    return rows.map((row) =>
      toView(row, levels.filter((l) => l.import_id === row.id) as CoherenceResult[], false),
    );
  }
}

function toView(row: ImportRow, coherence: CoherenceResult[], withResults = true): ImportView {
  const level = coherence.some((c) => c.level === 'error')
    ? 'error'
    : coherence.some((c) => c.level === 'warning')
      ? 'warning'
      : 'ok';
  const view: ImportView = {
    id: row.id,
    filename: row.filename,
    dialect: row.dialect,
    encoding: row.encoding,
    status: row.status,
    rowsDone: Number(row.rows_done),
    bytesDone: Number(row.bytes_done),
    bytesTotal: Number(row.bytes_total),
    findings: Number(row.findings),
    hosts: Number(row.hosts),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    coherence: withResults ? coherence : [],
    coherenceLevel: level,
  };
  if (row.scanned_at !== null) view.scannedAt = new Date(Number(row.scanned_at)).toISOString();
  if (row.error_reason !== null) {
    view.error =
      row.error_line === null
        ? { reason: row.error_reason }
        : { line: Number(row.error_line), reason: row.error_reason };
  }
  if (row.declared_total_vulns !== null || row.declared_active_hosts !== null) {
    view.declared = {
      totalVulns: num(row.declared_total_vulns),
      activeHosts: num(row.declared_active_hosts),
    };
  }
  return view;
}
