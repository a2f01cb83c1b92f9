import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { checkCoherence, worstLevel } from '../../src/domain/coherence.ts';
import { detectDelimiter } from '../../src/domain/csv-records.ts';
import { qualysFormats } from '../../src/domain/formats/qualys/index.ts';
import type { ReportHead } from '../../src/domain/formats/report-format.ts';
import { recogniseReport } from '../../src/domain/recognise-report.ts';
import type { ParsedFinding } from '../../src/domain/report-model.ts';
import { decoderFor, detectEncoding } from '../../src/domain/text-encoding.ts';
import { fixture, scansDir } from '../fixtures.ts';
import { headOf, readReport } from '../read-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'q2h-qualys-'));
function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Quoted CSV lines, as Qualys writes them. */
const csv = (rows: readonly (readonly string[])[]) =>
  `${Papa.unparse(rows as string[][], { quotes: true, newline: '\n' })}\n`;

/** A row of `header`, every cell '' unless given. */
const rowOf = (header: readonly string[], cells: Record<string, string>) =>
  header.map((name) => cells[name] ?? '');

const keyOf = (f: ParsedFinding) => `${f.ip}|${f.vulnKey}|${f.port ?? ''}|${f.protocol}`;
const countBy = <T>(items: readonly T[], key: (item: T) => string | number) =>
  items.reduce<Record<string, number>>((counts, item) => {
    counts[key(item)] = (counts[key(item)] ?? 0) + 1;
    return counts;
  }, {});

function ok(outcome: Awaited<ReturnType<typeof readReport>>['outcome']) {
  if (outcome.kind !== 'ok') throw new Error(`not ok: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('Qualys Scan Results CSV', () => {
  const RUN_HEADER = [
    'Launch Date',
    'Active Hosts',
    'Total Hosts',
    'Type',
    'Status',
    'Reference',
    'Scanner Appliance',
    'Duration',
    'Scan Title',
    'Asset Groups',
    'IPs',
    'Excluded IPs',
    'Option Profile',
  ];
  const DETAIL_HEADER = [
    'IP',
    'DNS',
    'NetBIOS',
    'OS',
    'IP Status',
    'QID',
    'Title',
    'Type',
    'Severity',
    'Port',
    'Protocol',
    'FQDN',
    'SSL',
    'CVE ID',
    'Vendor Reference',
    'Bugtraq ID',
    'CVSS Base',
    'CVSS Temporal',
    'CVSS3 Base',
    'CVSS3 Temporal',
    'Threat',
    'Impact',
    'Solution',
    'Exploitability',
    'Associated Malware',
    'Results',
    'PCI Vuln',
    'Instance',
    'OS CPE',
    'Category',
  ];
  const scanResults = (activeHosts: string, title: boolean) =>
    (title ? csv([['Scan Results', 'scan/1773568800.12345']]) : '') +
    csv([
      RUN_HEADER,
      rowOf(RUN_HEADER, {
        'Launch Date': '03/15/2026 10:00:00',
        'Active Hosts': activeHosts,
        'Total Hosts': '4',
        Type: 'On-Demand',
        Status: 'Finished',
        Reference: 'scan/1773568800.12345',
        'Scan Title': 'Weekly DMZ',
        IPs: '10.30.0.1-10.30.0.4',
      }),
    ]) +
    '\n' +
    csv([
      DETAIL_HEADER,
      rowOf(DETAIL_HEADER, {
        IP: '10.30.0.1',
        DNS: 'www.example.test',
        QID: '38170',
        Title: 'SSL Certificate - Expired',
        Type: 'Vuln',
        Severity: '3',
        Port: '443',
        Protocol: 'tcp',
        SSL: 'over ssl',
        Results: 'Certificate #0 CN=www.example.test\nexpired 2026-01-01',
        Category: 'General remote services',
      }),
      rowOf(DETAIL_HEADER, { IP: '10.30.0.1', QID: '6', Title: 'DNS Host Name', Type: 'Ig', Severity: '1' }),
      rowOf(DETAIL_HEADER, {
        IP: '10.30.0.2',
        NetBIOS: 'FILES01',
        QID: '90194',
        Title: 'SMB Remote Code Execution',
        Type: 'Vuln',
        Severity: '5',
        Port: '445',
        Protocol: 'tcp',
        'CVE ID': 'CVE-2026-1000, CVE-2026-1001',
        'CVSS Base': '9.3 (AV:N/AC:M/Au:N/C:C/I:C/A:C)',
        'CVSS3 Base': '9.8 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)',
        'PCI Vuln': 'yes',
      }),
    ]);

  it('reads the detail rows after the run table, dated by the scan launch, with the declared active hosts', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      write('scan-results.csv', scanResults('2', false)),
    );
    expect(dialect).toBe('qualys-scan-results-csv');
    const read = ok(outcome);
    expect(findings.map(keyOf)).toEqual([
      '10.30.0.1|38170|443|tcp',
      '10.30.0.1|6||',
      '10.30.0.2|90194|445|tcp',
    ]);
    expect(findings.map((f) => f.vulnType)).toEqual(['vulnerability', 'information', 'vulnerability']);
    const launched = Date.UTC(2026, 2, 15, 10, 0, 0);
    expect(findings.every((f) => f.lastDetected === launched)).toBe(true);
    expect(findings[0]).toMatchObject({ ssl: true, line: 5, results: expect.stringContaining('\n') });
    expect(vulnerabilities.find((v) => v.vulnKey === '90194')).toMatchObject({
      cves: ['CVE-2026-1000', 'CVE-2026-1001'],
      cvssBase: 9.3,
      cvss3Base: 9.8,
      pciVuln: true,
    });
    expect(read.declared).toMatchObject({ activeHosts: 2, reportDate: launched, totalVulns: null });
    expect(worstLevel(checkCoherence(read.declared!, read.observed))).toBe('ok');
  });

  it('reads a run table under a title line, and warns when fewer hosts have findings than the scan found alive', async () => {
    const { outcome, findings, dialect } = await readReport(
      write('scan-results-titled.csv', scanResults('3', true)),
    );
    expect(dialect).toBe('qualys-scan-results-csv');
    expect(findings).toHaveLength(3);
    const read = ok(outcome);
    expect(checkCoherence(read.declared!, read.observed)).toContainEqual({
      check: 'active-hosts',
      entity: null,
      expected: '3',
      actual: '2',
      level: 'warning',
    });
  });
});

describe('Qualys flat detection CSV variants', () => {
  it('reads an export without the Network column and with CVSS v2 and v3.1 columns', async () => {
    const header = [
      'IP',
      'DNS',
      'NetBIOS',
      'QID',
      'Title',
      'Vuln Status',
      'Type',
      'Severity',
      'Port',
      'Protocol',
    ];
    const cvssHeader = [
      ...header,
      'CVSS',
      'CVSS Base',
      'CVSS Temporal',
      'CVSS3.1',
      'CVSS3.1 Base',
      'CVSS3.1 Temporal',
    ];
    const path = write(
      'detection-cvss31.csv',
      csv([
        cvssHeader,
        rowOf(cvssHeader, {
          IP: '10.5.0.1',
          QID: '105971',
          Title: 'EOL/Obsolete Software',
          'Vuln Status': 'Active',
          Type: 'Vuln',
          Severity: '5',
          CVSS: '8.5',
          'CVSS Base': '10.0 (AV:N/AC:L/Au:N/C:C/I:C/A:C)',
          'CVSS3.1': '9.1',
          'CVSS3.1 Base': '9.8 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)',
        }),
      ]),
    );
    const { findings, vulnerabilities, dialect } = await readReport(path);
    expect(dialect).toBe('qualys-detection-csv');
    expect(findings).toMatchObject([{ ip: '10.5.0.1', network: '', status: 'Active', severity: 5 }]);
    expect(vulnerabilities[0]).toMatchObject({ cvssBase: 10, cvss3Base: 9.8 });
  });
});

describe('Qualys PCI CSV', () => {
  it('reads monthly_pci_issue6932.csv: 1 finding (DefectDojo: 1), unquoted, day-first date, HTML kept', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('qualys/monthly_pci_issue6932.csv'),
    );
    expect(dialect).toBe('qualys-pci-csv');
    ok(outcome);
    expect(findings).toEqual([
      expect.objectContaining({
        ip: '192.168.0.1',
        dns: 'abv.xyw.com.fj',
        vulnKey: '86476',
        // Q_SEVERITY 3 is Qualys's severity; SEVERITY "Medium" is the PCI rating, the same level here.
        severity: 3,
        scannerSeverity: '3',
        vulnType: 'practice', // TYPE POTENTIAL
        port: 80,
        protocol: 'tcp',
        os: 'Linux 2.x',
        lastDetected: Date.UTC(2022, 8, 22, 13, 1), // "22/09/2022 13:01"
        line: 2,
      }),
    ]);
    expect(vulnerabilities).toEqual([
      expect.objectContaining({
        title: 'Web Server Stopped Responding',
        category: 'Web server',
        cvssBase: 6.4,
        cves: [],
        pciVuln: true, // IS_PCI Fail
      }),
    ]);
    expect(vulnerabilities[0]!.threat).toContain('<A HREF= https://success.qualys.com/');
  });
});

describe('HackerGuardian CSV', () => {
  it('reads one_finding.csv as 2 findings, ports 80 and 443 (DefectDojo: 1, it merges the rows of a QID)', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('qualys_hacker_guardian/one_finding.csv'),
    );
    expect(dialect).toBe('qualys-hacker-guardian-csv');
    ok(outcome);
    expect(findings.map(keyOf)).toEqual(['18.238.109.17|150059|80|tcp', '18.238.109.17|150059|443|tcp']);
    expect(findings[0]).toMatchObject({
      dns: 'help.example.co',
      // SEVERITY is the PCI letter "M"; Q_SEVERITY 1 is Qualys's severity, the one q2h keeps
      // (DefectDojo maps Q_SEVERITY 1 to Low, q2h's scale to Info).
      severity: 1,
      scannerSeverity: '1',
      vulnType: 'practice',
      lastDetected: Date.UTC(2024, 8, 16, 4, 0, 30),
    });
    expect(findings[0]!.results).toContain('split(\\ -\\ )');
    expect(vulnerabilities).toEqual([
      expect.objectContaining({
        title: 'Reference to Windows file path is present in HTML',
        cvssBase: 5.3,
        pciVuln: true,
      }),
    ]);
  });

  it('reads many_finding.csv as 4 findings of 3 QIDs (DefectDojo: 3, one per QID)', async () => {
    const { findings, vulnerabilities } = await readReport(
      fixture('qualys_hacker_guardian/many_finding.csv'),
    );
    expect(findings).toHaveLength(4);
    expect(new Set(findings.map(keyOf)).size).toBe(4);
    expect(vulnerabilities.map((v) => v.title)).toEqual([
      'Reference to Windows file path is present in HTML',
      'HTTP Security Header Not Detected',
      'Predictable Resource Location Via Forced Browsing',
    ]);
    expect(findings.find((f) => f.vulnKey === '11827')).toMatchObject({
      ip: '44.207.58.177',
      dns: 'jt.example.co',
      port: 443,
      severity: 2,
      vulnType: 'vulnerability',
    });
    expect(findings.find((f) => f.vulnKey === '150004')).toMatchObject({
      ip: '44.220.118.158',
      dns: 'data.example.co',
      port: 80,
    });
  });

  it('reads zero_finding.csv (header only) as a valid report with 0 findings', async () => {
    const { outcome, findings, dialect } = await readReport(
      fixture('qualys_hacker_guardian/zero_finding.csv'),
    );
    expect(dialect).toBe('qualys-hacker-guardian-csv');
    expect(outcome).toMatchObject({ kind: 'ok', rows: 0 });
    expect(findings).toHaveLength(0);
  });

  it('fails a file cut inside a quoted field, with the line where its record starts', async () => {
    const text = readFileSync(fixture('qualys_hacker_guardian/many_finding.csv'), 'utf8');
    const third = text.indexOf('\n"44.207.58.177"') + 1;
    const { outcome } = await readReport(write('hg-cut.csv', text.slice(0, third + 200)));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: text.slice(0, third).split('\n').length,
      reason: expect.stringContaining('quoted field never closed'),
    });
  });
});

describe('Qualys VMDR Asset Vuln Datalist CSV', () => {
  const PREAMBLE = [
    ['Asset Vuln Datalist Report', '04 Feb 2026 10:00AM GMT-0500', '1'],
    ['Example Industries', '12 Example Street', 'Lyon', 'None', '69002', 'France'],
    ['Camille Martin', 'exind_cm', 'Manager'],
  ];
  const QID_HEADER = [
    'QID',
    'Title',
    'Severity',
    'KB Severity',
    'Type Detected',
    'Last Detected',
    'First Detected',
    'Protocol',
    'Port',
    'Status',
    'Asset Id',
    'Asset Name',
    'Asset IPV4',
    'Asset IPV6',
    'Solution',
    'Asset Tags',
    'Disabled',
    'Ignored',
    'QDS',
    'QDS Severity',
    'Detection AGE',
    'Published Date',
    'Patch Released',
    'Category',
    'RTI',
    'Operating System',
    'Last Fixed',
    'Last Reopened',
    'Times Detected',
    'Threat',
    'Vuln Patchable',
    'Asset Critical Score',
    'TruRisk Score',
    'Vulnerability Tags',
    'Results',
    'Deep Scan Result',
    'Detection Source',
  ];
  const CVE_HEADER = ['CVE', 'CVE-Description', 'CVSSv2 Base (nvd)', 'CVSSv3.1 Base (nvd)', ...QID_HEADER];
  const detection = (cells: Record<string, string>) => ({
    'Type Detected': 'Confirmed',
    'Last Detected': 'Feb 03, 2026 07:00 AM',
    'First Detected': 'Apr 13, 2021 03:14 PM',
    Protocol: 'TCP',
    Status: 'ACTIVE',
    'Deep Scan Result': "'-",
    'Detection Source': 'QUALYS',
    ...cells,
  });
  const qidRows = [
    rowOf(
      QID_HEADER,
      detection({
        QID: '100269',
        Title: 'Microsoft Internet Explorer Security Update',
        Severity: '5',
        'KB Severity': '5',
        Protocol: "'-",
        Port: '0',
        'Asset Id': '119586089',
        'Asset Name': 'TESTSERVER01',
        'Asset IPV4': '10.0.0.1',
        Category: 'Internet Explorer',
        'Operating System': 'Windows Server 2019',
        'Times Detected': '100',
        Threat: 'Remote code execution vulnerability.<P>',
        Solution: 'Apply the security update from Microsoft.',
        Results: 'Version detected: 11.0.100',
      }),
    ),
    rowOf(
      QID_HEADER,
      detection({
        QID: '100003',
        Title: 'Outdated Software Version',
        Severity: '3',
        Port: '22',
        Status: 'FIXED',
        'Asset Id': '100000003',
        'Asset Name': 'APPSERVER01',
        'Asset IPV4': '10.0.0.20,10.0.0.21',
      }),
    ),
    rowOf(
      QID_HEADER,
      detection({
        QID: '100005',
        Title: 'Critical RCE Vulnerability',
        Severity: '5',
        'Type Detected': 'Potential',
        Port: '445',
        Status: 'REOPENED',
        'Asset Id': '100000005',
        'Asset Name': 'DBSERVER01',
        'Asset IPV6': '2001:db8::1',
      }),
    ),
  ];

  it('reads the QID layout after its three preamble lines, one finding per IP of a multi-address asset', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      write('vmdr-qid.csv', csv([...PREAMBLE, QID_HEADER, ...qidRows])),
    );
    expect(dialect).toBe('qualys-vmdr-asset-vuln-csv');
    const read = ok(outcome);
    // 3 rows, 4 findings: APPSERVER01's detection is on both its addresses (VMDR counts 1 detection).
    expect(findings.map(keyOf)).toEqual([
      '10.0.0.1|100269||',
      '10.0.0.20|100003|22|tcp',
      '10.0.0.21|100003|22|tcp',
      '2001:db8::1|100005|445|tcp',
    ]);
    expect(findings.map((f) => f.status)).toEqual(['Active', 'Fixed', 'Fixed', 'Re-Opened']);
    expect(findings.map((f) => f.line)).toEqual([5, 6, 6, 7]);
    expect(findings[0]).toMatchObject({
      dns: 'TESTSERVER01',
      hostId: '119586089',
      os: 'Windows Server 2019',
      severity: 5,
      scannerSeverity: '5',
      vulnType: 'vulnerability',
      firstDetected: Date.UTC(2021, 3, 13, 15, 14),
      lastDetected: Date.UTC(2026, 1, 3, 7, 0),
      timesDetected: 100,
      results: 'Version detected: 11.0.100',
    });
    expect(findings[3]!.vulnType).toBe('practice');
    expect(vulnerabilities).toHaveLength(3);
    expect(vulnerabilities[0]).toMatchObject({
      title: 'Microsoft Internet Explorer Security Update',
      category: 'Internet Explorer',
      threat: 'Remote code execution vulnerability.<P>',
      solution: 'Apply the security update from Microsoft.',
      cves: [],
    });
    expect(read.declared?.reportDate).toBe(Date.UTC(2026, 1, 4, 15, 0)); // 10:00 AM at GMT-05:00
  });

  it('reads the same findings without the preamble', async () => {
    const { findings, dialect } = await readReport(write('vmdr-bare.csv', csv([QID_HEADER, ...qidRows])));
    expect(dialect).toBe('qualys-vmdr-asset-vuln-csv');
    expect(findings.map(keyOf)).toHaveLength(4);
    expect(findings[0]!.line).toBe(2);
  });

  it('reads a download whose every line is quoted once more (`"QID,""Title"",…"`)', async () => {
    // As in DefectDojo's qualys_vmdr samples: the first field bare, the others quoted, the whole line quoted.
    const lines = [...PREAMBLE, QID_HEADER, ...qidRows].map(([first, ...rest]) =>
      Papa.unparse([[`${first},${Papa.unparse([rest], { quotes: true })}`]], { quotes: true }),
    );
    expect(lines[3]).toMatch(/^"QID,""Title"",""Severity""/);
    const { findings, dialect } = await readReport(write('vmdr-wrapped.csv', `${lines.join('\n')}\n`));
    expect(dialect).toBe('qualys-vmdr-asset-vuln-csv');
    expect(findings.map(keyOf)).toEqual([
      '10.0.0.1|100269||',
      '10.0.0.20|100003|22|tcp',
      '10.0.0.21|100003|22|tcp',
      '2001:db8::1|100005|445|tcp',
    ]);
  });

  const log4j = (cve: string, cvss2: string, cvss3: string, asset: string, ip: string) =>
    rowOf(
      CVE_HEADER,
      detection({
        CVE: cve,
        'CVSSv2 Base (nvd)': cvss2,
        'CVSSv3.1 Base (nvd)': cvss3,
        QID: '730143',
        Title: 'Apache Log4j Remote Code Execution (Log4Shell)',
        Severity: '5',
        Port: '8080',
        'Asset Id': asset,
        'Asset Name': asset,
        'Asset IPV4': ip,
      }),
    );
  const driver = rowOf(
    CVE_HEADER,
    detection({
      CVE: 'CVE-2023-0004',
      'CVSSv2 Base (nvd)': '7.2',
      'CVSSv3.1 Base (nvd)': '7.8',
      QID: '800004',
      Title: 'Local Privilege Escalation',
      Severity: '4',
      Protocol: "'-",
      Port: '0',
      'Asset Id': '300000004',
      'Asset Name': 'WORKSTATION01',
      'Asset IPV4': '192.168.1.100,192.168.1.101',
    }),
  );

  it('reads the CVE layout as one finding per detection, with every CVE of the QID, even those listed later', async () => {
    const rows = [
      log4j('CVE-2021-44228', '9.3', '10.0', 'JAVAAPP01', '10.1.0.50'),
      log4j('CVE-2021-45046', '5.1', '9.0', 'JAVAAPP01', '10.1.0.50'), // same detection, another CVE
      driver,
      log4j('CVE-2021-44832', '8.5', '6.6', 'JAVAAPP02', '10.1.0.51'),
    ];
    const { findings, vulnerabilities, dialect } = await readReport(
      write('vmdr-cve.csv', csv([...PREAMBLE, CVE_HEADER, ...rows])),
    );
    expect(dialect).toBe('qualys-vmdr-asset-vuln-csv');
    expect(findings.map(keyOf)).toEqual([
      '10.1.0.50|730143|8080|tcp',
      '192.168.1.100|800004||',
      '192.168.1.101|800004||',
      '10.1.0.51|730143|8080|tcp',
    ]);
    // Knowledge is emitted with the first finding; the CVE of the fourth row is in it.
    expect(vulnerabilities.find((v) => v.vulnKey === '730143')).toMatchObject({
      cves: ['CVE-2021-44228', 'CVE-2021-45046', 'CVE-2021-44832'],
      cvssBase: 9.3,
      cvss3Base: 10,
    });
    expect(vulnerabilities.find((v) => v.vulnKey === '800004')).toMatchObject({ cves: ['CVE-2023-0004'] });
  });

  it('keeps the CVE rows of one detection that do not follow each other as rows of the import (the finding key merges them)', async () => {
    // Collapsing repeats anywhere in the file would need a set of every detection seen: unbounded.
    const rows = [
      log4j('CVE-2021-44228', '9.3', '10.0', 'JAVAAPP01', '10.1.0.50'),
      driver,
      log4j('CVE-2021-45046', '5.1', '9.0', 'JAVAAPP01', '10.1.0.50'),
    ];
    const { findings } = await readReport(write('vmdr-cve-spread.csv', csv([CVE_HEADER, ...rows])));
    expect(findings).toHaveLength(4);
    expect(new Set(findings.map(keyOf)).size).toBe(3);
  });
});

describe('Qualys ASSET_DATA_REPORT XML', () => {
  it('reads Qualys_Sample_Report.xml: 301 findings on 7 hosts, as DefectDojo, with the glossary knowledge that follows the hosts', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('qualys/Qualys_Sample_Report.xml'),
    );
    expect(dialect).toBe('qualys-asset-data-xml');
    const read = ok(outcome);
    expect(findings).toHaveLength(301);
    expect(new Set(findings.map(keyOf)).size).toBe(301);
    expect(vulnerabilities).toHaveLength(92); // the glossary's 93rd QID (375397) is on no host
    expect(vulnerabilities.every((v) => v.title !== '' && v.severity >= 1)).toBe(true);
    expect(countBy(findings, (f) => f.severity)).toEqual({ 1: 177, 2: 65, 3: 46, 4: 6, 5: 7 });
    expect(countBy(findings, (f) => f.vulnType)).toEqual({
      information: 209,
      vulnerability: 90,
      practice: 2,
    });
    expect(countBy(findings, (f) => f.ip)).toEqual({
      '64.41.200.243': 21,
      '64.41.200.244': 24,
      '64.41.200.245': 20,
      '64.41.200.246': 47,
      '64.41.200.247': 42,
      '64.41.200.249': 27,
      '64.41.200.250': 120,
    });
    expect(findings[0]).toMatchObject({
      ip: '64.41.200.243',
      dns: 'demo13.s02.sjc01.qualys.com',
      trackingMethod: 'DNS',
      os: 'Ubuntu / Tiny Core Linux / Linux 2.6.x',
      vulnKey: '6',
      severity: 1,
      vulnType: 'information',
      ssl: false,
      firstDetected: Date.UTC(2019, 6, 31, 21, 57, 48),
      timesDetected: 1,
      line: 73,
    });
    expect(findings[0]!.results).toContain('64.41.200.243\tdemo13.s02.sjc01.qualys.com');
    expect(vulnerabilities[0]).toMatchObject({ vulnKey: '6', title: 'DNS Host Name', severity: 1 });
    const amd = findings.find((f) => f.vulnKey === '370876' && f.dns === 'demo14.s02.sjc01.qualys.com');
    expect(amd).toMatchObject({ severity: 4, vulnType: 'practice', status: 'Active' });
    expect(vulnerabilities.find((v) => v.vulnKey === '370876')).toMatchObject({
      title: 'AMD Processors Multiple Security Vulnerabilities (RYZENFALL/MASTERKEY/CHIMERA-FW/FALLOUT)',
      category: 'Local',
      cves: [
        'CVE-2018-8930',
        'CVE-2018-8931',
        'CVE-2018-8932',
        'CVE-2018-8933',
        'CVE-2018-8934',
        'CVE-2018-8935',
        'CVE-2018-8936',
      ],
      cvssBase: 9.3,
      cvssVector: 'AV:N/AC:M/Au:N/C:C/I:C/A:C',
      cvss3Base: 9,
      cvss3Vector: 'AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H',
      vendorReferences: 'AMD',
      pciVuln: true,
    });
    expect(findings.filter((f) => f.netbios === 'TRN-WIN7')).toHaveLength(42);
    expect(findings.filter((f) => f.fqdn === 'demo16.s02.sjc01.qualys.com')).toHaveLength(4);
    // The header's TOTAL_VULNERABILITIES (299) leaves out the 2 Practice detections: not declared.
    expect(read.declared).toMatchObject({ reportDate: Date.UTC(2019, 7, 1, 20, 3, 10), totalVulns: null });
  });

  it('reads empty.xml (no HOST_LIST, a comment after the root) as 0 findings', async () => {
    const { outcome, findings, dialect } = await readReport(fixture('qualys/empty.xml'));
    expect(dialect).toBe('qualys-asset-data-xml');
    expect(outcome).toMatchObject({ kind: 'ok', rows: 0 });
    expect(ok(outcome).declared?.reportDate).toBe(Date.UTC(2021, 2, 25, 7, 13, 51));
    expect(findings).toHaveLength(0);
  });

  it('fails a report cut in its host list before emitting any finding', async () => {
    const text = readFileSync(fixture('qualys/Qualys_Sample_Report.xml'), 'utf8');
    const cut = text.slice(0, text.indexOf('<HOST>', 100_000));
    const { outcome, findings } = await readReport(write('asset-data-cut.xml', cut));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: cut.split('\n').length,
      reason: expect.stringContaining('unclosed tag: HOST_LIST'),
    });
    expect(findings).toHaveLength(0);
  });

  it('refuses a detection whose QID the glossary does not describe, naming it', async () => {
    const path = write(
      'asset-data-no-glossary.xml',
      '<?xml version="1.0" encoding="UTF-8" ?>\n<ASSET_DATA_REPORT>\n<HOST_LIST><HOST><IP>10.0.0.1</IP>\n' +
        '<VULN_INFO_LIST><VULN_INFO><QID id="qid_38170">38170</QID><TYPE>Vuln</TYPE></VULN_INFO></VULN_INFO_LIST>\n' +
        '</HOST></HOST_LIST>\n<GLOSSARY><VULN_DETAILS_LIST></VULN_DETAILS_LIST></GLOSSARY>\n</ASSET_DATA_REPORT>\n',
    );
    const { outcome } = await readReport(path);
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: 4,
      reason: 'QID 38170 has no VULN_DETAILS in the GLOSSARY: its title and severity are unknown',
    });
  });
});

describe('Qualys WebGUI scan XML', () => {
  it('reads qualys_infrascan_webgui_0.xml (an IP with empty VULNS) as 0 findings, one host declared alive', async () => {
    const { outcome, findings, dialect } = await readReport(
      fixture('qualys_infrascan_webgui/qualys_infrascan_webgui_0.xml'),
    );
    expect(dialect).toBe('qualys-webgui-scan-xml');
    const read = ok(outcome);
    expect(findings).toHaveLength(0); // DefectDojo: 0
    expect(read.declared).toMatchObject({ activeHosts: 1, reportDate: Date.UTC(2019, 3, 2, 10, 14, 53) });
    expect(checkCoherence(read.declared!, read.observed)).toContainEqual(
      expect.objectContaining({ check: 'active-hosts', expected: '1', actual: '0', level: 'warning' }),
    );
  });

  it('reads qualys_infrascan_webgui_1.xml: the Java CPU finding with its 19 CVEs (DefectDojo: 1)', async () => {
    const { findings, vulnerabilities } = await readReport(
      fixture('qualys_infrascan_webgui/qualys_infrascan_webgui_1.xml'),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        ip: '10.1.10.1',
        dns: 'host1.example.com',
        vulnKey: '123168',
        severity: 5,
        vulnType: 'vulnerability',
        lastDetected: Date.UTC(2019, 3, 2, 10, 14, 53),
        line: 29,
      }),
    ]);
    const [java] = vulnerabilities;
    expect(java).toMatchObject({
      title: 'Oracle Java SE Critical Patch Update - January 2015',
      severity: 5,
      category: 'Local',
      cvssBase: 10,
      cvss3Base: 3.4,
      pciVuln: true,
    });
    expect(java!.cves).toHaveLength(19);
    expect(java!.cves[0]).toBe('CVE-2014-6601');
  });

  it('reads qualys_infrascan_webgui_3.xml, where "No registered hostname" is not taken for a host name', async () => {
    const { findings, vulnerabilities } = await readReport(
      fixture('qualys_infrascan_webgui/qualys_infrascan_webgui_3.xml'),
    );
    expect(findings).toEqual([
      expect.objectContaining({ ip: '10.1.10.1', dns: '', os: 'Linux 2.6', vulnKey: '82024', severity: 2 }),
    ]);
    expect(vulnerabilities[0]).toMatchObject({
      title: 'UDP Constant IP Identification Field Fingerprinting Vulnerability',
      cves: ['CVE-2002-0510'],
      cvssBase: 5,
      cvss3Base: null,
      threat: 'some diagnosis',
      impact: 'Some impact',
      solution: 'some solution',
    });
  });

  it('reads qualys_infrascan_webgui_multiple.xml as 24 findings: DefectDojo keeps its 6 VULNs, q2h also the INFOS, SERVICES and PRACTICES', async () => {
    const { outcome, findings, vulnerabilities } = await readReport(
      fixture('qualys_infrascan_webgui/qualys_infrascan_webgui_multiple.xml'),
    );
    const read = ok(outcome);
    expect(findings).toHaveLength(24);
    expect(new Set(findings.map(keyOf)).size).toBe(24);
    // 6 VULN → vulnerability; 12 INFO + 4 SERVICE → information; 2 PRACTICE → practice.
    expect(countBy(findings, (f) => f.vulnType)).toEqual({ vulnerability: 6, information: 16, practice: 2 });
    expect(countBy(findings, (f) => f.ip)).toEqual({ '10.1.10.1': 12, '10.2.10.2': 12 });
    const vulns = findings.filter((f) => f.vulnType === 'vulnerability');
    expect(vulns.map((f) => f.vulnKey)).toEqual(['82024', '11', '123168', '82024', '11', '123168']);
    expect(vulnerabilities.find((v) => v.vulnKey === '11')).toMatchObject({
      title: 'Hidden RPC Services',
      severity: 2,
      impact: 'Some impact',
      category: 'RPC',
    });
    expect(vulnerabilities.find((v) => v.vulnKey === '124848')).toMatchObject({
      vulnType: 'practice',
      severity: 5,
      cves: ['CVE-2016-0636'],
    });
    expect(worstLevel(checkCoherence(read.declared!, read.observed))).toBe('ok');
  });

  it('fails a scan cut in the middle of an item, with its line', async () => {
    const text = readFileSync(
      fixture('qualys_infrascan_webgui/qualys_infrascan_webgui_multiple.xml'),
      'utf8',
    );
    const cut = text.slice(0, text.indexOf('<TITLE>', 5000));
    const { outcome } = await readReport(write('webgui-cut.xml', cut));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: cut.split('\n').length,
      reason: expect.stringContaining('unclosed tag: VULN'),
    });
  });
});

describe('recognising Qualys dialects', () => {
  const QUALYS_FIXTURES: Record<string, string> = {
    'qualys_scan_report/scan_report_4_hosts.csv': 'qualys-scan-report-csv',
    'qualys_scan_report/scan_report_4_hosts_latin1.csv': 'qualys-scan-report-csv',
    'qualys/Qualys_Sample_Report.csv': 'qualys-detection-csv',
    'qualys/empty.csv': 'qualys-detection-csv',
    'qualys/monthly_pci_issue6932.csv': 'qualys-pci-csv',
    'qualys_hacker_guardian/one_finding.csv': 'qualys-hacker-guardian-csv',
    'qualys_hacker_guardian/many_finding.csv': 'qualys-hacker-guardian-csv',
    'qualys_hacker_guardian/zero_finding.csv': 'qualys-hacker-guardian-csv',
    'qualys/Qualys_Sample_Report.xml': 'qualys-asset-data-xml',
    'qualys/empty.xml': 'qualys-asset-data-xml',
    'qualys_infrascan_webgui/qualys_infrascan_webgui_0.xml': 'qualys-webgui-scan-xml',
    'qualys_infrascan_webgui/qualys_infrascan_webgui_1.xml': 'qualys-webgui-scan-xml',
    'qualys_infrascan_webgui/qualys_infrascan_webgui_3.xml': 'qualys-webgui-scan-xml',
    'qualys_infrascan_webgui/qualys_infrascan_webgui_multiple.xml': 'qualys-webgui-scan-xml',
  };

  /** A file's head as recogniseReport builds it. */
  function headFor(path: string): ReportHead {
    const bytes = headOf(path);
    const text = decoderFor(detectEncoding(bytes)).write(bytes);
    return {
      text,
      records: Papa.parse<string[]>(text, { preview: 30, delimiter: detectDelimiter(text) }).data,
    };
  }

  it('recognises every Qualys fixture from its content under a name that says nothing', () => {
    for (const [path, dialect] of Object.entries(QUALYS_FIXTURES)) {
      const renamed = join(dir, 'upload.bin');
      copyFileSync(fixture(path), renamed);
      expect({ path, recognised: recogniseReport(headOf(renamed)) }).toMatchObject({
        path,
        recognised: { kind: 'ok', dialect },
      });
    }
  });

  it('lets exactly one Qualys format claim each Qualys fixture, whatever their order', () => {
    for (const [path, dialect] of Object.entries(QUALYS_FIXTURES)) {
      const head = headFor(fixture(path));
      const claiming = qualysFormats.filter((format) => format.recognises(head)).map((f) => f.dialect);
      expect({ path, claiming }).toEqual({ path, claiming: [dialect] });
    }
  });

  it('claims no report of another scanner', () => {
    const others = ['nessus', 'nmap', 'nuclei', 'openvas'].flatMap((family) =>
      readdirSync(join(scansDir, family)).map((name) => `${family}/${name}`),
    );
    expect(others.length).toBeGreaterThan(10);
    for (const path of others) {
      const head = headFor(fixture(path));
      const claiming = qualysFormats.filter((format) => format.recognises(head)).map((f) => f.dialect);
      expect({ path, claiming }).toEqual({ path, claiming: [] });
    }
  });
});
