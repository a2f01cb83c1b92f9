import type { Analytics } from '@q2h/analytics';

export interface OverviewFilter {
  tenant: string;
  severities: number[];
  report?: string;
}

export interface Overview {
  findings: number;
  hosts: number;
  critical: number;
  bySeverity: Record<'1' | '2' | '3' | '4' | '5', number>;
  topVulns: { qid: string; title: string; severity: number; hosts: number }[];
  /** `host`: the asset as the finding key names it (the IP, else the FQDN, DNS or NetBIOS name). */
  topHosts: { host: string; ip: string; dns: string; findings: number }[];
}

/**
 * The open findings of the latest state that match a filter: one row per finding key (FINAL applies
 * "newest scan wins"), findings the scanner reports as Fixed left out, optionally only the keys one
 * report observed.
 */
export function latestStateQuery(filter: OverviewFilter): { sql: string; params: Record<string, unknown> } {
  const report = filter.report
    ? `AND finding_key IN (SELECT finding_key FROM findings_history
         WHERE tenant = {tenant:String} AND import_id = {report:String})`
    : '';
  return {
    sql: `SELECT * FROM findings_latest FINAL
          WHERE tenant = {tenant:String} AND severity IN {severities:Array(UInt8)} AND status != 'Fixed' ${report}`,
    params: { tenant: filter.tenant, severities: filter.severities, report: filter.report ?? '' },
  };
}

/**
 * The asset of a finding, as its key names it (`tenant|asset|…`; read after the tenant, which may hold
 * any character): a host is counted by it, not by its IP, so findings of hosts known only by name
 * (Nuclei, Nessus by FQDN) are not all one host ''.
 */
const ASSET = "splitByChar('|', substring(finding_key, length({tenant:String}) + 2))[1]";

export async function overviewQuery(analytics: Analytics, filter: OverviewFilter): Promise<Overview> {
  const latest = latestStateQuery(filter);
  const { params } = latest;
  const [totals, bySeverity, topVulns, topHosts] = await Promise.all([
    analytics.query<{ findings: string; hosts: string; critical: string }>(
      `SELECT count() AS findings, uniqExact(${ASSET}) AS hosts, countIf(severity >= 4) AS critical FROM (${latest.sql})`,
      params,
    ),
    analytics.query<{ severity: number; n: string }>(
      `SELECT severity, count() AS n FROM (${latest.sql}) GROUP BY severity`,
      params,
    ),
    analytics.query<{ qid: string; title: string; severity: number; hosts: string }>(
      `SELECT f.vuln_key AS qid, k.title AS title, f.severity AS severity, f.hosts AS hosts
       FROM (SELECT vuln_key, max(severity) AS severity, uniqExact(${ASSET}) AS hosts FROM (${latest.sql})
             GROUP BY vuln_key ORDER BY hosts DESC, severity DESC, vuln_key LIMIT 10) AS f
       LEFT JOIN (SELECT vuln_key, argMax(title, version) AS title FROM knowledge
                  WHERE tenant = {tenant:String} GROUP BY vuln_key) AS k ON k.vuln_key = f.vuln_key
       ORDER BY hosts DESC, severity DESC, qid`,
      params,
    ),
    analytics.query<{ host: string; ip: string; dns: string; findings: string }>(
      `SELECT ${ASSET} AS host, any(ip) AS ip, any(dns) AS dns, count() AS findings FROM (${latest.sql})
       GROUP BY host ORDER BY findings DESC, host LIMIT 10`,
      params,
    ),
  ]);
  const counts = new Map(bySeverity.map((r) => [Number(r.severity), Number(r.n)]));
  return {
    findings: Number(totals[0]?.findings ?? 0),
    hosts: Number(totals[0]?.hosts ?? 0),
    critical: Number(totals[0]?.critical ?? 0),
    bySeverity: {
      '1': counts.get(1) ?? 0,
      '2': counts.get(2) ?? 0,
      '3': counts.get(3) ?? 0,
      '4': counts.get(4) ?? 0,
      '5': counts.get(5) ?? 0,
    },
    topVulns: topVulns.map((v) => ({
      qid: v.qid,
      title: v.title,
      severity: Number(v.severity),
      hosts: Number(v.hosts),
    })),
    topHosts: topHosts.map((h) => ({ host: h.host, ip: h.ip, dns: h.dns, findings: Number(h.findings) })),
  };
}
