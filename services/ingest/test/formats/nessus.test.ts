import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { detectDelimiter } from '../../src/domain/csv-records.ts';
import { nessusFormats } from '../../src/domain/formats/nessus/index.ts';
import type { ReportHead } from '../../src/domain/formats/report-format.ts';
import { assetOf, type ParsedFinding } from '../../src/domain/report-model.ts';
import { fixture } from '../fixtures.ts';
import { readReport } from '../read-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'q2h-nessus-'));
const keyOf = (f: ParsedFinding) => `${assetOf(f)}|${f.vulnKey}|${f.port ?? ''}|${f.protocol}`;
const hostsOf = (findings: readonly ParsedFinding[]) => new Set(findings.map(assetOf));
const bySeverity = (findings: readonly ParsedFinding[]) =>
  Object.fromEntries(
    [1, 2, 3, 4, 5]
      .map((s) => [s, findings.filter((f) => f.severity === s).length])
      .filter(([, n]) => n !== 0),
  );

/** The head of a file as the upload route decodes it (64 KiB of text and its first CSV records). */
function headOf(path: string): ReportHead {
  const text = readFileSync(path)
    .subarray(0, 64 * 1024)
    .toString('utf8');
  return {
    text,
    records: Papa.parse<string[]>(text, { preview: 30, delimiter: detectDelimiter(text) }).data,
  };
}

function writeTemp(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('Nessus .nessus v2 XML', () => {
  it('reads nessus_many_vuln.xml as 7 findings on one host (DefectDojo says 6: it merges by plugin name)', async () => {
    // q2h counts host × plugin × port × protocol: plugin 11219 on 443 and on 264 is two findings;
    // DefectDojo makes one finding per (severity, plugin name) and turns the ports into endpoints.
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('nessus/nessus_many_vuln.xml'),
    );
    expect(dialect).toBe('nessus-xml');
    expect(outcome).toMatchObject({ kind: 'ok', rows: 7 });
    expect(findings).toHaveLength(7);
    expect(new Set(findings.map(keyOf)).size).toBe(7);
    expect(vulnerabilities).toHaveLength(6);
    expect(bySeverity(findings)).toEqual({ 1: 7 });
    expect(findings.every((f) => f.vulnType === 'information' && f.scannerSeverity === '0')).toBe(true);
    expect(findings[0]).toMatchObject({
      ip: '12.233.108.201',
      fqdn: 'preprod.boardvantage.net',
      dns: 'preprod.boardvantage.net',
      os: 'CISCO PIX 7.0',
      // HOST_END "Tue Jun 25 10:39:42 2013" carries no zone: read as UTC.
      lastDetected: Date.UTC(2013, 5, 25, 10, 39, 42),
      firstDetected: null,
      port: null,
      protocol: 'tcp',
      line: 2618,
    });
    const syn = findings.filter((f) => f.vulnKey === '11219');
    expect(syn.map((f) => [f.port, f.ssl])).toEqual([
      [443, true], // svc_name "https?"
      [264, false], // svc_name "fw1-topology-download"
    ]);
    expect(vulnerabilities.find((v) => v.vulnKey === '11219')).toMatchObject({
      title: 'Nessus SYN scanner',
      category: 'Port scanners',
      severity: 1,
      vulnType: 'information',
    });
  });

  it('reads nessus_v_unknown.xml as 296 findings on 7 named hosts (DefectDojo says 32: one per plugin)', async () => {
    // 296 ReportItems, all distinct host × plugin × port × protocol; DefectDojo merges them into its 32
    // (severity, plugin name) findings, the hosts becoming endpoints.
    const { outcome, findings, vulnerabilities } = await readReport(fixture('nessus/nessus_v_unknown.xml'));
    expect(outcome).toMatchObject({ kind: 'ok', rows: 296 });
    expect(new Set(findings.map(keyOf)).size).toBe(296);
    expect(vulnerabilities).toHaveLength(32);
    expect(bySeverity(findings)).toEqual({ 1: 266, 2: 7, 3: 23 });
    expect([...new Set(findings.map((f) => f.dns))]).toEqual([
      'qa3app09',
      'qa3app06',
      'qa3app05',
      'qa3app04',
      'qa3app03',
      'qa3app02',
      'qa3app01',
    ]);
    expect(hostsOf(findings).size).toBe(7);
    const nla = findings.find((f) => f.vulnKey === '58453' && f.dns === 'qa3app09')!;
    expect(nla).toMatchObject({
      ip: '10.31.112.29',
      netbios: 'QA3APP09',
      port: 3389,
      protocol: 'tcp',
      severity: 3,
      scannerSeverity: '2',
      vulnType: 'vulnerability',
      os: 'Microsoft Windows Server 2008 R2 Standard Service Pack 1',
    });
    expect(vulnerabilities.find((v) => v.vulnKey === '58453')).toMatchObject({
      title: "Terminal Services Doesn't Use Network Level Authentication (NLA)",
      cvssBase: 4.3,
      cvssVector: 'AV:N/AC:M/Au:N/C:P/I:N/A:N', // written "CVSS2#AV:N/…"
    });
    // DefectDojo's findings[9]: plugin 18405 on all 7 hosts, CVE-2005-1794.
    expect(findings.filter((f) => f.vulnKey === '18405')).toHaveLength(7);
    expect(vulnerabilities.find((v) => v.vulnKey === '18405')!.cves).toEqual(['CVE-2005-1794']);
    expect(vulnerabilities.find((v) => v.vulnKey === '19506')).toMatchObject({
      title: 'Nessus Scan Information',
      cves: [],
    });
    expect(findings.filter((f) => f.vulnKey === '11219').length).toBeGreaterThanOrEqual(38);
  });

  it('reads nessus_with_cvssv3.nessus as 48 findings: the two outputs of plugin 58987 on 80/tcp are one', async () => {
    // 49 ReportItems; 58987 reports twice on 80/tcp (two PHP versions): one finding with both outputs.
    // DefectDojo also says 48 (one per severity and plugin name, which coincides here).
    const { outcome, findings, vulnerabilities } = await readReport(
      fixture('nessus/nessus_with_cvssv3.nessus'),
    );
    expect(outcome).toMatchObject({ kind: 'ok', rows: 48 });
    expect(new Set(findings.map(keyOf)).size).toBe(48);
    expect(vulnerabilities).toHaveLength(48);
    expect(bySeverity(findings)).toEqual({ 1: 23, 2: 1, 3: 13, 4: 10, 5: 1 });
    expect(findings[0]).toMatchObject({
      ip: '44.228.249.3',
      fqdn: 'testphp.vulnweb.com',
      dns: 'ec2-44-228-249-3.us-west-2.compute.amazonaws.com',
      os: 'Linux Kernel 2.6',
      // HOST_END_TIMESTAMP 1648044472 (HOST_END "Wed Mar 23 15:07:52 2022" is the scanner's local time).
      lastDetected: Date.UTC(2022, 2, 23, 14, 7, 52),
    });
    const unsupported = findings.filter((f) => f.vulnKey === '58987');
    expect(unsupported).toHaveLength(1);
    expect(unsupported[0]).toMatchObject({ port: 80, protocol: 'tcp', severity: 5, scannerSeverity: '4' });
    expect(unsupported[0]!.results).toContain('5.6.40');
    expect(unsupported[0]!.results).toContain('/secured/phpinfo.php');
    expect(vulnerabilities.find((v) => v.vulnKey === '40984')).toMatchObject({
      title: 'Browsable Web Directories',
      severity: 3,
      cvssBase: 5,
      cvss3Base: 5.3,
      cvss3Vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N',
    });
    expect(vulnerabilities.find((v) => v.vulnKey === '31649')!.cves).toHaveLength(15);
  });

  it('refuses a ReportItem whose severity is not 0–4, on its line', async () => {
    const text = readFileSync(fixture('nessus/nessus_v_unknown.xml'), 'utf8');
    const at = text.indexOf('severity="2" pluginID="58453"');
    const path = writeTemp('bad-severity.nessus', `${text.slice(0, at)}severity="7"${text.slice(at + 12)}`);
    const { outcome } = await readReport(path);
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: text.slice(0, at).split('\n').length,
      reason: 'ReportItem severity "7" is not between 0 and 4',
    });
  });

  it('fails a file cut inside a ReportItem, with the last line and what is missing', async () => {
    const text = readFileSync(fixture('nessus/nessus_v_unknown.xml'), 'utf8');
    const cut = text.indexOf('<plugin_output>', text.indexOf('pluginID="58453"'));
    const path = writeTemp('cut.nessus', text.slice(0, cut + 40));
    const { outcome, findings } = await readReport(path);
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: text.slice(0, cut + 40).split('\n').length,
      reason: expect.stringMatching(/^not well-formed XML: .*unclosed/),
    });
    expect(findings.length).toBeGreaterThan(0);
  });

  it('keeps a repeat that is not next to its first as a finding of its own', async () => {
    // Nessus writes a plugin's repeats together; only those are merged, to hold one finding at most.
    const item = (port: number, output: string) =>
      `<ReportItem port="${port}" svc_name="www" protocol="tcp" severity="1" pluginID="100" pluginName="P" pluginFamily="F"><plugin_output>${output}</plugin_output></ReportItem>\n`;
    const path = writeTemp(
      'repeats.nessus',
      '<?xml version="1.0" ?>\n<NessusClientData_v2><Report name="r">\n<ReportHost name="10.0.0.1"><HostProperties></HostProperties>\n' +
        item(80, 'a') +
        item(80, 'b') +
        item(443, 'c') +
        item(80, 'a') +
        '</ReportHost></Report></NessusClientData_v2>\n',
    );
    const { outcome, findings } = await readReport(path);
    expect(outcome.kind).toBe('ok');
    expect(findings.map((f) => [f.ip, f.port, f.results, f.line])).toEqual([
      ['10.0.0.1', 80, 'a\n\nb', 4],
      ['10.0.0.1', 443, 'c', 6],
      ['10.0.0.1', 80, 'a', 7],
    ]);
  });
});

describe('Nessus CSV', () => {
  it('reads nessus_many_vuln2-default.csv as 29 findings: two Service Detection rows on 443 are one (as DefectDojo)', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('nessus/nessus_many_vuln2-default.csv'),
    );
    expect(dialect).toBe('nessus-csv');
    expect(outcome).toMatchObject({ kind: 'ok', rows: 29 });
    expect(new Set(findings.map(keyOf)).size).toBe(29);
    expect(vulnerabilities).toHaveLength(25);
    expect([...hostsOf(findings)]).toEqual(['52.208.101.182']);
    expect(bySeverity(findings)).toEqual({ 1: 28, 3: 1 });
    expect(findings.find((f) => f.severity === 3)).toMatchObject({
      vulnKey: '104743',
      port: 443,
      scannerSeverity: 'Medium',
    });
    const serviceDetection = findings.filter((f) => f.vulnKey === '22964' && f.port === 443);
    expect(serviceDetection).toHaveLength(1);
    expect(serviceDetection[0]!.results).toBe(
      'A TLSv1 server answered on this port.\n\nA web server is running on this port through TLSv1.',
    );
    expect(findings[0]).toMatchObject({ vulnKey: '10107', severity: 1, vulnType: 'information', line: 2 });
    expect(vulnerabilities[0]).toMatchObject({ title: 'HTTP Server Type and Version', cves: [] });
    expect(vulnerabilities.find((v) => v.vulnKey === '95631')).toMatchObject({
      title: 'SSL Certificate Signed Using Weak Hashing Algorithm (Known CA)',
      severity: 1,
      cves: ['CVE-2004-2761'],
    });
    expect(findings.find((f) => f.vulnKey === '10287')).toMatchObject({ port: null, protocol: 'udp' });
  });

  it('reads nessus-template.csv (all columns) as 5 findings on 2 hosts (as DefectDojo), EPSS and CVSS written without decimal points', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('nessus/nessus-template.csv'),
    );
    expect(dialect).toBe('nessus-csv');
    expect(outcome).toMatchObject({ kind: 'ok', rows: 5 });
    expect(findings.map((f) => f.ip)).toEqual([
      '192.168.0.100',
      '192.168.0.100',
      '192.168.0.100',
      '192.168.0.101',
      '192.168.0.101',
    ]);
    // "Risk" (High) is the severity, not the all-columns export's older "Risk Factor" (Medium).
    expect(vulnerabilities[0]).toMatchObject({
      title: 'SSL Medium Strength Cipher Suites Supported (SWEET32)',
      severity: 4,
      cves: ['CVE-2016-2183'],
      epss: 0.3833, // written "3833"
      cvssBase: 5, // written "50"
      cvss3Base: 7.5, // written "75"
    });
    expect(findings[0]).toMatchObject({ port: 3389, scannerSeverity: 'High' });
    expect(vulnerabilities[1]).toMatchObject({
      title: 'HTTP TRACE / TRACK Methods Allowed',
      severity: 3,
      cves: ['CVE-2003-1567'],
      epss: 0.8269,
      vendorReferences: 'CERT:288308, CERT:867593, CWE:16, CWE:200',
    });
    expect(findings.find((f) => f.vulnKey === '200162')).toMatchObject({
      ip: '192.168.0.101',
      port: 8080,
      severity: 5,
      scannerSeverity: 'Critical',
    });
    expect(vulnerabilities.find((v) => v.vulnKey === '200162')).toMatchObject({
      title: 'PHP 8.2.x < 8.2.20 Multiple Vulnerabilities',
      cves: ['CVE-2024-4577'],
      cvssBase: 10,
      cvss3Base: 9.8,
    });
  });

  it('merges the rows of one finding, one per CVE, into one finding with all the CVEs', async () => {
    // The default export repeats a plugin's row for each of its CVEs, one after the other.
    const text = readFileSync(fixture('nessus/nessus_many_vuln2-default.csv'), 'utf8');
    const [header, ...rows] = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
    const tls10 = rows.find((row) => row[0] === '104743')!;
    const perCve = ['CVE-2011-3389', 'CVE-2015-0204', 'CVE-2014-3566'].map((cve) => [
      tls10[0]!,
      cve,
      ...tls10.slice(2),
    ]);
    const path = writeTemp('per-cve.csv', Papa.unparse([header!, rows[0]!, ...perCve, rows[1]!]));
    const { outcome, findings, vulnerabilities } = await readReport(path);
    expect(outcome).toMatchObject({ kind: 'ok', rows: 3 });
    expect(findings.map((f) => f.vulnKey)).toEqual(['10107', '104743', '10107']);
    expect(findings[1]!.results).toBe(tls10[12]);
    expect(vulnerabilities.find((v) => v.vulnKey === '104743')!.cves).toEqual([
      'CVE-2011-3389',
      'CVE-2015-0204',
      'CVE-2014-3566',
    ]);
  });

  it('reads a semicolon-separated export (Excel in European locales) as the comma one', async () => {
    const text = readFileSync(fixture('nessus/nessus_many_vuln2-default.csv'), 'utf8');
    const path = writeTemp(
      'semicolons.csv',
      Papa.unparse(Papa.parse<string[]>(text, { skipEmptyLines: true }).data, { delimiter: ';' }),
    );
    const semicolons = await readReport(path);
    const commas = await readReport(fixture('nessus/nessus_many_vuln2-default.csv'));
    expect(semicolons.dialect).toBe('nessus-csv');
    expect(semicolons.findings.map(keyOf)).toEqual(commas.findings.map(keyOf));
  });

  it('fails a file cut inside a quoted Plugin Output, on the line where its row starts', async () => {
    const text = readFileSync(fixture('nessus/nessus_many_vuln2-default.csv'), 'utf8');
    const rowStart = text.indexOf('"10863"');
    const path = writeTemp('cut.csv', text.slice(0, text.indexOf('Issuer Name', rowStart)));
    const { outcome } = await readReport(path);
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: text.slice(0, rowStart).split('\n').length,
      reason: expect.stringContaining('quoted field never closed'),
    });
  });

  it('refuses a row whose Risk is not a Nessus severity, naming it', async () => {
    const text = readFileSync(fixture('nessus/nessus_many_vuln2-default.csv'), 'utf8');
    const path = writeTemp('bad-risk.csv', text.replace('"None"', '"Severe"'));
    const { outcome } = await readReport(path);
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: 2,
      reason: 'severity "Severe" is not None/Info, Low, Medium, High or Critical',
    });
  });
});

describe('Tenable.sc CSV', () => {
  it('reads nessus_many_vuln.csv as 4 findings and ignores its 529 trailing records of bare commas (as DefectDojo)', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('nessus/nessus_many_vuln.csv'),
    );
    expect(dialect).toBe('tenable-sc-csv');
    expect(outcome).toMatchObject({ kind: 'ok', rows: 4 });
    expect(bySeverity(findings)).toEqual({ 3: 4 });
    expect(findings.map((f) => [f.ip, f.vulnKey, f.port, f.protocol])).toEqual([
      ['10.1.1.1', '35291', 443, 'tcp'],
      ['10.1.1.1', '51192', 443, 'tcp'],
      ['10.2.1.1', '57582', 443, 'tcp'],
      ['10.2.1.1', '65821', 443, 'tcp'],
    ]);
    expect(findings[0]).toMatchObject({
      scannerSeverity: 'Medium',
      // "Jan 5, 2021 10:24:08 MST" (UTC-7)
      firstDetected: Date.UTC(2021, 0, 5, 17, 24, 8),
      lastDetected: Date.UTC(2021, 0, 5, 17, 24, 8),
    });
    // Plugin Text without its "Plugin Output:" label.
    expect(findings[0]!.results).toMatch(/^The following certificates were part of the certificate chain/);
    expect(vulnerabilities[0]).toMatchObject({
      title: 'SSL Certificate Signed Using Weak Hashing Algorithm',
      category: 'General',
      cves: ['CVE-2004-2761'],
      cvssBase: 5,
      cvssVector: 'AV:N/AC:L/Au:N/C:N/I:P/A:N/E:POC/RL:OF/RC:C',
      cvss3Base: 7.5,
      cvss3Vector: 'AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N/E:P/RL:O/RC:C',
      vendorReferences: 'CERT #836068, CWE #310',
    });
    expect(vulnerabilities[3]!.cves).toEqual(['CVE-2013-2566', 'CVE-2015-2808']);
  });
});

describe('recognising Nessus and Tenable reports', () => {
  it('recognises each export from its content, whatever the file is called', async () => {
    for (const [name, dialect] of [
      ['nessus_with_cvssv3.nessus', 'nessus-xml'],
      ['nessus-template.csv', 'nessus-csv'],
      ['nessus_many_vuln.csv', 'tenable-sc-csv'],
    ] as const) {
      const renamed = join(dir, `${name}.renamed.txt`);
      copyFileSync(fixture(`nessus/${name}`), renamed);
      const { dialect: recognised, outcome } = await readReport(renamed);
      expect([name, recognised, outcome.kind]).toEqual([name, dialect, 'ok']);
    }
  });

  it('does not claim the reports of other scanners', () => {
    for (const other of [
      'qualys/Qualys_Sample_Report.csv',
      'qualys/Qualys_Sample_Report.xml',
      'qualys_infrascan_webgui/qualys_infrascan_webgui_1.xml',
      'openvas/many_vuln.csv',
      'openvas/many_vuln.xml',
      'nuclei/issue_14071.json',
      'nmap/issue12411.xml',
    ]) {
      const head = headOf(fixture(other));
      expect([
        other,
        nessusFormats.filter((format) => format.recognises(head)).map((f) => f.dialect),
      ]).toEqual([other, []]);
    }
  });

  it('does not take an XML file that only mentions NessusClientData_v2 for a .nessus file', () => {
    const head = headOf(
      writeTemp('mention.xml', '<?xml version="1.0"?>\n<notes>NessusClientData_v2</notes>\n'),
    );
    expect(nessusFormats.some((format) => format.recognises(head))).toBe(false);
  });
});
