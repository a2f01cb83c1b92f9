import type { Analytics } from '@q2h/analytics';
import { latestStateQuery, type OverviewFilter } from '@q2h/query';
import { csvLine } from './csv-cell.ts';

// biome-ignore format: a header row
export const FINDINGS_COLUMNS = [
  'IP', 'DNS', 'NetBIOS', 'OS', 'QID', 'Title', 'Severity', 'Type', 'Port', 'Protocol', 'Status',
  'First Detected', 'Last Detected', 'Times Detected', 'Import',
] as const;

const PAGE = 5000;

interface ExportRow {
  finding_key: string;
  ip: string;
  dns: string;
  netbios: string;
  os: string;
  vuln_key: string;
  title: string;
  severity: number;
  vuln_type: string;
  port: number | null;
  protocol: string;
  status: string;
  first_detected: string | null;
  last_detected: string | null;
  times_detected: number | null;
  import_id: string;
}

const isoDate = (ms: string | null) => (ms === null ? '' : new Date(Number(ms)).toISOString());

/**
 * The latest-state findings of a filter as CSV lines, page by page (keyset on the finding key), so
 * memory stays bounded whatever the number of findings, on chDB and on a ClickHouse server alike.
 */
export async function* findingsCsv(analytics: Analytics, filter: OverviewFilter): AsyncGenerator<string> {
  yield `\uFEFF${csvLine(FINDINGS_COLUMNS)}`; // BOM: Excel then reads UTF-8 correctly
  const latest = latestStateQuery(filter);
  let after = '';
  for (;;) {
    const rows = await analytics.query<ExportRow>(
      `SELECT l.*, k.title AS title FROM (${latest.sql}) AS l
       LEFT JOIN (SELECT vuln_key, argMax(title, version) AS title FROM knowledge
                  WHERE tenant = {tenant:String} GROUP BY vuln_key) AS k ON k.vuln_key = l.vuln_key
       WHERE l.finding_key > {after:String} ORDER BY l.finding_key LIMIT ${PAGE}`,
      { ...latest.params, after },
    );
    let page = '';
    for (const r of rows) {
      // biome-ignore format: FINDINGS_COLUMNS order
      page += csvLine([
        r.ip, r.dns, r.netbios, r.os, r.vuln_key, r.title, r.severity, r.vuln_type, r.port ?? '', r.protocol,
        r.status, isoDate(r.first_detected), isoDate(r.last_detected), r.times_detected ?? '', r.import_id,
      ]);
    }
    if (page) yield page;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.finding_key;
  }
}
