import type { DeclaredTotals } from '../../report-model.ts';

/** First record of a VM Scan Report export: "Vulnerability Scan Report","<date>". */
export function isScanReportTitle(fields: readonly string[]): boolean {
  return /scan report$/i.test(fields[0]?.trim() ?? '');
}

/**
 * Reads the Scan Report preamble, one record at a time: the report line (date), the asset-group table
 * (Active Hosts), the totals table (total vulnerabilities, by severity "5: 3") and the per-IP summary.
 * Tables are recognised by their header row and end at a blank line (see qualys_scan_report/README.md).
 */
export class ScanReportPreamble {
  readonly declared: DeclaredTotals = {
    reportDate: null,
    totalVulns: null,
    activeHosts: null,
    bySeverity: new Map(),
    perIp: new Map(),
  };
  private table: { name: 'assetGroups' | 'totals' | 'perIp'; header: readonly string[] } | undefined;

  accept(fields: readonly string[]): void {
    if (fields.every((f) => f === '')) {
      this.table = undefined;
      return;
    }
    if (isScanReportTitle(fields)) {
      this.declared.reportDate = reportDate(fields[1] ?? '');
      return;
    }
    const first = fields[0];
    if (first === 'Asset Groups' || (first === 'Total Vulnerabilities' && fields.includes('by Severity'))) {
      this.table = { name: first === 'Asset Groups' ? 'assetGroups' : 'totals', header: fields };
      return;
    }
    if (first === 'IP' && fields[1] === 'Total Vulnerabilities') {
      this.table = { name: 'perIp', header: fields };
      return;
    }
    if (!this.table) return; // company and user lines: nothing to check
    const { name, header } = this.table;
    if (name === 'assetGroups') {
      const active = toInt(fields[header.indexOf('Active Hosts')]);
      if (active !== null) this.declared.activeHosts = (this.declared.activeHosts ?? 0) + active;
    } else if (name === 'totals') {
      this.declared.totalVulns = toInt(fields[0]);
      for (const cell of fields) {
        const bySeverity = /^([1-5]):\s*(\d+)$/.exec(cell.trim());
        if (bySeverity) this.declared.bySeverity.set(Number(bySeverity[1]), Number(bySeverity[2]));
      }
    } else {
      const count = toInt(fields[1]);
      if (fields[0] && count !== null) this.declared.perIp.set(fields[0].trim(), count);
    }
  }
}

/** "11/20/2026 at 09:12:45 (GMT+0100)" → epoch ms, honouring the offset. */
export function reportDate(value: string): number | null {
  const match =
    /(\d{2})\/(\d{2})\/(\d{4})\s+at\s+(\d{2}):(\d{2}):(\d{2})(?:\s*\(GMT([+-])(\d{2}):?(\d{2})\))?/.exec(
      value,
    );
  if (!match) return null;
  const [, mm, dd, yyyy, h, m, s, sign, oh = '0', om = '0'] = match;
  const utc = Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd), Number(h), Number(m), Number(s));
  const offset = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : 1);
  return utc - offset;
}

function toInt(value: string | undefined): number | null {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) ? n : null;
}
