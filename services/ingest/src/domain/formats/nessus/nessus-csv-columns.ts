import type { ParsedFinding, ParsedVulnerability, RowResult } from '../../report-model.ts';
import { cellAt, isBlank } from '../csv-table.ts';
import { pluginOutputOf, pluginVulnerability } from './nessus-plugin.ts';
import { nessusSeverity, nessusVulnType } from './nessus-severity.ts';
import { isIpAddress, tenableScDate } from './nessus-values.ts';

/**
 * Header names by field, for the Nessus CSV (default 13 columns or all columns) and the Tenable.sc
 * vulnerability CSV; the first name present wins.
 */
const COLUMNS = {
  pluginId: ['Plugin ID', 'Plugin'],
  name: ['Name', 'Plugin Name'],
  family: ['Family'],
  // Nessus "Risk" is the plugin's severity; the all-columns export's "Risk Factor" is the older CVSSv2 one.
  severity: ['Risk', 'Severity'],
  host: ['Host', 'IP Address'],
  dns: ['DNS Name'],
  netbios: ['NetBIOS Name'],
  protocol: ['Protocol'],
  port: ['Port'],
  cves: ['CVE'],
  cvss: ['CVSS v2.0 Base Score', 'CVSS V2 Base Score', 'CVSS'],
  cvssVector: ['CVSS V2 Vector'],
  cvss3: ['CVSS v3.0 Base Score', 'CVSS V3 Base Score'],
  cvss3Vector: ['CVSS V3 Vector'],
  cvss4: ['CVSS v4.0 Base Score'],
  epss: ['EPSS Score'],
  synopsis: ['Synopsis'],
  description: ['Description'],
  solution: ['Solution'],
  seeAlso: ['See Also'],
  output: ['Plugin Output', 'Plugin Text'],
  xrefs: ['XREF', 'Cross References'],
  firstSeen: ['First Discovered'],
  lastSeen: ['Last Observed'],
} as const;

type Column = keyof typeof COLUMNS;

/** The Nessus CSV header: "Plugin ID,CVE,CVSS…,Risk,Host,Protocol,Port,Name,…". */
export function isNessusCsvHeader(fields: readonly string[]): boolean {
  return ['Plugin ID', 'Risk', 'Host', 'Name'].every((name) => fields.includes(name));
}

/** The Tenable.sc header: "Plugin,Plugin Name,Family,Severity,IP Address,…". */
export function isTenableScCsvHeader(fields: readonly string[]): boolean {
  return ['Plugin', 'Plugin Name', 'Severity', 'IP Address'].every((name) => fields.includes(name));
}

/** Builds the row mapper for one header: column positions are looked up once, not per row. */
export function nessusRowMapper(
  header: readonly string[],
): (fields: readonly string[], line: number) => RowResult {
  const index = {} as Record<Column, number>;
  for (const column of Object.keys(COLUMNS) as Column[]) {
    index[column] = COLUMNS[column].map((name) => header.indexOf(name)).find((i) => i >= 0) ?? -1;
  }
  const width = header.length;

  return (fields, line) => {
    // Tenable.sc ends its export with hundreds of records of bare commas (nessus_many_vuln.csv: 529).
    if (isBlank(fields)) return { kind: 'skip' };
    if (fields.length !== width) {
      return { kind: 'invalid', reason: `expected ${width} fields as in the header, found ${fields.length}` };
    }
    const pluginId = cellAt(fields, index.pluginId).trim();
    if (!/^\d+$/.test(pluginId)) {
      return { kind: 'invalid', reason: `Plugin ID "${pluginId}" is not a number` };
    }
    const host = cellAt(fields, index.host).trim();
    const dns = cellAt(fields, index.dns).trim();
    if (!host && !dns) return { kind: 'invalid', reason: 'the host (IP address or name) is empty' };
    const written = cellAt(fields, index.severity).trim();
    const severity = nessusSeverity(written);
    if (severity === undefined) {
      return {
        kind: 'invalid',
        reason: `severity "${written}" is not None/Info, Low, Medium, High or Critical`,
      };
    }
    const port = Number.parseInt(cellAt(fields, index.port), 10);
    const hostIsIp = isIpAddress(host);
    const finding: ParsedFinding = {
      line,
      source: 'nessus',
      vulnKey: pluginId,
      severity,
      vulnType: nessusVulnType(severity),
      ip: hostIsIp ? host : '',
      dns: dns || (hostIsIp ? '' : host),
      netbios: cellAt(fields, index.netbios).trim(),
      fqdn: '',
      os: '',
      hostId: '',
      trackingMethod: '',
      // Port 0 is Nessus's "general": a finding about the host, not a service.
      port: Number.isFinite(port) && port > 0 ? port : null,
      protocol: cellAt(fields, index.protocol).trim().toLowerCase(),
      ssl: false,
      status: '',
      firstDetected: tenableScDate(cellAt(fields, index.firstSeen)),
      lastDetected: tenableScDate(cellAt(fields, index.lastSeen)),
      timesDetected: null,
      // Tenable.sc's Plugin Text starts with its own label.
      results: pluginOutputOf(cellAt(fields, index.output).replace(/^Plugin Output:[ \t]*/, '')),
      network: '',
      scannerSeverity: written,
    };
    return {
      kind: 'finding',
      finding,
      vulnerability: vulnerabilityOf(fields, index, pluginId, severity),
    };
  };
}

/**
 * A row's vulnerability, its plugin's texts read only for the plugin's first row (parseReport calls it
 * once per plugin). Made here, not as a closure inside the row mapper: tsx names every function created
 * per row with a defineProperty (see fieldText in csv-records.ts).
 */
function vulnerabilityOf(
  fields: readonly string[],
  index: Record<Column, number>,
  pluginId: string,
  severity: number,
): () => ParsedVulnerability {
  return () =>
    pluginVulnerability({
      id: pluginId,
      name: cellAt(fields, index.name).trim(),
      family: cellAt(fields, index.family).trim(),
      severity,
      cves: [cellAt(fields, index.cves)],
      xrefs: [cellAt(fields, index.xrefs)],
      cvss: cellAt(fields, index.cvss),
      cvssVector: cellAt(fields, index.cvssVector),
      cvss3: cellAt(fields, index.cvss3),
      cvss3Vector: cellAt(fields, index.cvss3Vector),
      cvss4: cellAt(fields, index.cvss4),
      cvss4Vector: '',
      epss: cellAt(fields, index.epss),
      synopsis: cellAt(fields, index.synopsis),
      description: cellAt(fields, index.description),
      solution: cellAt(fields, index.solution),
      seeAlso: cellAt(fields, index.seeAlso),
    });
}
