import type { ParsedFinding, RowResult } from '../../report-model.ts';
import { isBlank } from '../csv-table.ts';
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
    const get = (column: Column): string => (index[column] >= 0 ? (fields[index[column]] ?? '') : '');
    const pluginId = get('pluginId').trim();
    if (!/^\d+$/.test(pluginId)) {
      return { kind: 'invalid', reason: `Plugin ID "${pluginId}" is not a number` };
    }
    const host = get('host').trim();
    const dns = get('dns').trim();
    if (!host && !dns) return { kind: 'invalid', reason: 'the host (IP address or name) is empty' };
    const written = get('severity').trim();
    const severity = nessusSeverity(written);
    if (severity === undefined) {
      return {
        kind: 'invalid',
        reason: `severity "${written}" is not None/Info, Low, Medium, High or Critical`,
      };
    }
    const port = Number.parseInt(get('port'), 10);
    const hostIsIp = isIpAddress(host);
    const finding: ParsedFinding = {
      line,
      source: 'nessus',
      vulnKey: pluginId,
      severity,
      vulnType: nessusVulnType(severity),
      ip: hostIsIp ? host : '',
      dns: dns || (hostIsIp ? '' : host),
      netbios: get('netbios').trim(),
      fqdn: '',
      os: '',
      hostId: '',
      trackingMethod: '',
      // Port 0 is Nessus's "general": a finding about the host, not a service.
      port: Number.isFinite(port) && port > 0 ? port : null,
      protocol: get('protocol').trim().toLowerCase(),
      ssl: false,
      status: '',
      firstDetected: tenableScDate(get('firstSeen')),
      lastDetected: tenableScDate(get('lastSeen')),
      timesDetected: null,
      // Tenable.sc's Plugin Text starts with its own label.
      results: pluginOutputOf(get('output').replace(/^Plugin Output:[ \t]*/, '')),
      network: '',
      scannerSeverity: written,
    };
    // The plugin's texts are read only for its first row (parseReport calls this once per plugin).
    const vulnerability = () =>
      pluginVulnerability({
        id: pluginId,
        name: get('name').trim(),
        family: get('family').trim(),
        severity,
        cves: [get('cves')],
        xrefs: [get('xrefs')],
        cvss: get('cvss'),
        cvssVector: get('cvssVector'),
        cvss3: get('cvss3'),
        cvss3Vector: get('cvss3Vector'),
        cvss4: get('cvss4'),
        cvss4Vector: '',
        epss: get('epss'),
        synopsis: get('synopsis'),
        description: get('description'),
        solution: get('solution'),
        seeAlso: get('seeAlso'),
      });
    return { kind: 'finding', finding, vulnerability };
  };
}
