import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { detectDelimiter } from '../../src/domain/csv-records.ts';
import { openvasCsv } from '../../src/domain/formats/openvas/openvas-csv.ts';
import { openvasXml } from '../../src/domain/formats/openvas/openvas-xml.ts';
import type { ReportHead } from '../../src/domain/formats/report-format.ts';
import type { ParsedFinding } from '../../src/domain/report-model.ts';
import { bomLength, decoderFor, detectEncoding } from '../../src/domain/text-encoding.ts';
import { fixture, scansDir } from '../fixtures.ts';
import { headOf, readReport } from '../read-report.ts';

const keyOf = (f: ParsedFinding) => `${f.ip}|${f.vulnKey}|${f.port ?? ''}|${f.protocol}`;
const dir = mkdtempSync(join(tmpdir(), 'q2h-openvas-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('OpenVAS / Greenbone CSV results', () => {
  it('reads many_vuln.csv (no QoD column) as 4 findings on LOGSRV, as DefectDojo does', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('openvas/many_vuln.csv'),
    );
    expect(dialect).toBe('openvas-csv');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(4);
    expect(new Set(findings.map(keyOf)).size).toBe(4);
    expect(vulnerabilities).toHaveLength(4);
    for (const f of findings) expect(f).toMatchObject({ ip: '192.168.118.212', dns: 'LOGSRV' });

    // The 'TCP timestamps' row has empty Port and Port Protocol cells.
    const timestamps = findings[0]!;
    expect(timestamps).toMatchObject({
      port: null,
      protocol: '',
      severity: 2,
      scannerSeverity: 'Low',
      lastDetected: Date.UTC(2021, 4, 26, 20, 50, 18),
    });
    expect(vulnerabilities[0]).toMatchObject({ title: 'TCP timestamps', cvss3Base: 2.6 });

    expect(findings[3]).toMatchObject({ port: 9200, protocol: 'tcp', severity: 4, scannerSeverity: 'High' });
    expect(vulnerabilities[3]!.title).toBe('HTTP Brute Force Logins With Default Credentials Reporting');
    expect(vulnerabilities[2]!.cves).toEqual(['CVE-2011-3389', 'CVE-2015-0204']);
    expect(vulnerabilities[2]!.vendorReferences).toMatch(/^DFN-CERT-2020-0177, DFN-CERT-2020-0111, /);
  });

  it('keeps multi-line quoted Summary and Specific Result cells, with the line each row starts on', async () => {
    const { findings, vulnerabilities } = await readReport(fixture('openvas/many_vuln.csv'));
    expect(findings.map((f) => f.line)).toEqual([2, 27, 43, 66]);
    expect(findings[0]!.results).toBe(
      'It was detected that the host implements RFC1323/RFC7323.\n\n' +
        'The following timestamps were retrieved with a delay of 1 seconds in-between:\n' +
        'Packet 1: 2323572\nPacket 2: 2323858',
    );
    // Summary and Vulnerability Insight make the threat text; Greenbone's two-space line indents go.
    expect(vulnerabilities[0]!.threat).toBe(
      'The remote host implements TCP timestamps and therefore allows to compute\nthe uptime.\n\n' +
        'The remote host implements TCP timestamps, as defined by RFC1323/RFC7323.',
    );
  });

  it('reads report_combine_v2.csv as 2 findings with one finding key: q2h counts 1, as DefectDojo does', async () => {
    // Two results of the same NVT on the same host and (empty) port, differing only in their output.
    // q2h publishes both observations; they share the finding key, so the latest state holds 1 finding.
    // DefectDojo's parser v2 merges them into 1 finding with nb_occurences 2.
    const { outcome, findings, vulnerabilities } = await readReport(fixture('openvas/report_combine_v2.csv'));
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(2);
    expect(new Set(findings.map(keyOf))).toEqual(new Set(['45.33.32.156|1.3.6.1.4.1.25623.1.0.80091||']));
    expect(findings[0]!.results).not.toBe(findings[1]!.results);
    expect(findings[0]).toMatchObject({ severity: 2, lastDetected: Date.UTC(2024, 2, 18, 12, 46, 31) });
    expect(vulnerabilities).toEqual([
      expect.objectContaining({
        title: 'TCP Timestamps Information Disclosure',
        cvss3Base: 2.6,
        severity: 2,
      }),
    ]);
  });

  it('reads report_detail_v2.csv (QoD and EPSS columns): CVSS 9.8, EPSS, 93 CVEs, a timestamp with an offset', async () => {
    const { outcome, findings, vulnerabilities } = await readReport(fixture('openvas/report_detail_v2.csv'));
    expect(outcome.kind).toBe('ok');
    expect(findings).toEqual([
      expect.objectContaining({
        ip: '10.99.99.99',
        dns: 'server99',
        port: 42,
        protocol: 'tcp',
        vulnKey: '1.3.6.1.4.1.25623.1.0.836484',
        // "High" as written, although 9.8 is critical on Greenbone's current bands.
        severity: 4,
        scannerSeverity: 'High',
        lastDetected: Date.UTC(2025, 7, 22, 14, 27, 22),
      }),
    ]);
    const kb = vulnerabilities[0]!;
    expect(kb).toMatchObject({
      title: 'Microsoft Windows Multiple Vulnerabilities (KB5062557)',
      cvss3Base: 9.8,
      epss: 0.00143,
    });
    expect(kb.cves).toHaveLength(93);
    expect(kb.cves[1]).toBe('CVE-2025-48823');
  });
});

describe('OpenVAS / Greenbone XML report', () => {
  it('reads many_vuln.xml as 44 findings, as DefectDojo does, titled by the NVT name, not the placeholder <name>', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('openvas/many_vuln.xml'),
    );
    expect(dialect).toBe('openvas-xml');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(44);
    expect(new Set(findings.map(keyOf)).size).toBe(44);
    // Not a valid IPv4 address (anonymised), kept as written: it is the asset the scanner names.
    expect(new Set(findings.map((f) => f.ip))).toEqual(new Set(['192.168.1.1001']));
    expect(findings[0]).toMatchObject({ port: 512, protocol: 'tcp', dns: 'b6b9f466d63' });
    expect(vulnerabilities[0]).toMatchObject({
      title: 'The rexec service is running',
      category: 'Useless services',
      cves: ['CVE-1999-0618'],
      cvssBase: 10,
      cvss3Base: null,
    });
    // An NVT name wrapped over two lines reads as one.
    expect(vulnerabilities.map((v) => v.title)).toContain(
      'Distributed Ruby (dRuby/DRb) Multiple Remote Code Execution Vulnerabilities',
    );
    expect(findings.find((f) => f.port === null)).toMatchObject({ protocol: 'tcp' }); // general/tcp
  });

  it('grades many_vuln.xml by threat: 19 High, 23 Medium, and the 2 empty threats (severity 4.0) as Medium', async () => {
    const { findings } = await readReport(fixture('openvas/many_vuln.xml'));
    const count = (pick: (f: ParsedFinding) => boolean) => findings.filter(pick).length;
    expect(count((f) => f.scannerSeverity === 'High' && f.severity === 4)).toBe(19);
    expect(count((f) => f.scannerSeverity === 'Medium' && f.severity === 3)).toBe(23);
    expect(findings.filter((f) => f.scannerSeverity === '4.0')).toEqual([
      expect.objectContaining({ port: 5432, severity: 3, vulnKey: '1.3.6.1.4.1.25623.1.0.106223' }),
      expect.objectContaining({ port: 5432, severity: 3, vulnKey: '1.3.6.1.4.1.25623.1.0.105880' }),
    ]);
  });

  it('reads no_vuln.xml as zero findings: its <result_count> elements are not results', async () => {
    const { outcome, findings } = await readReport(fixture('openvas/no_vuln.xml'));
    expect(outcome).toMatchObject({ kind: 'ok', rows: 0 });
    expect(findings).toHaveLength(0);
  });

  it('reads one_vuln.xml (one line, nested <report>): general/tcp, High at 10.0, 12 CVEs', async () => {
    const { outcome, findings, vulnerabilities } = await readReport(fixture('openvas/one_vuln.xml'));
    expect(outcome.kind).toBe('ok');
    expect(findings).toEqual([
      expect.objectContaining({
        line: 1,
        ip: '10.0.101.2',
        dns: '',
        port: null,
        protocol: 'tcp',
        vulnKey: '1.3.6.1.4.1.25623.1.0.832260',
        severity: 4,
        scannerSeverity: 'High',
        lastDetected: Date.UTC(2023, 9, 4, 21, 40, 7, 211),
      }),
    ]);
    expect(findings[0]!.results).toMatch(/^Installed version: 116\.0\.3\nFixed version: {5}117/);
    // DefectDojo v1 appends "_10.0.101.2_general/tcp" to the title; q2h keeps the NVT name.
    expect(vulnerabilities[0]).toMatchObject({
      title: 'Mozilla Firefox Security Update (mfsa_2023-32_2023-36) - Windows',
      category: 'General',
      cvssBase: 10,
      vendorReferences: 'https://www.mozilla.org/en-US/security/advisories/mfsa2023-34/',
      solution: 'Upgrade to version 117 or later,\nPlease see the references for more information.',
    });
    expect(vulnerabilities[0]!.cves).toHaveLength(12);
    expect(vulnerabilities[0]!.cves[0]).toBe('CVE-2023-4573');
  });

  it('counts only a report’s results in a GMP response: not delta, note or override results; skips false positives', async () => {
    const gmp = `<?xml version="1.0" encoding="UTF-8"?>
<get_reports_response status="200" status_text="OK">
<report id="r1" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5" extension="xml" content_type="text/xml">
<report id="r1"><gmp><version>22.4</version></gmp><delta><report id="r0"/></delta>
<results start="1" max="-1">
<result id="a"><name>OpenSSH Multiple Vulnerabilities</name><creation_time>2026-03-01T10:00:00Z</creation_time>
<host>10.1.1.5<asset asset_id="x"/><hostname>db1.example.org</hostname></host><port>22/tcp</port>
<nvt oid="1.3.6.1.4.1.25623.1.0.900001"><type>nvt</type><name>OpenSSH Multiple Vulnerabilities</name><family>General</family>
<cvss_base>9.8</cvss_base>
<severities score="9.8"><severity type="cvss_base_v3"><origin/><date/><score>9.8</score><value>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</value></severity>
<severity type="cvss_base_v2"><score>7.5</score><value>AV:N/AC:L/Au:N/C:P/I:P/A:P</value></severity></severities>
<tags>summary=OpenSSH is prone to | several flaws.|insight=Race in the signal handler.|affected=OpenSSH before 9.8|impact=Remote code execution.|vuldetect=Checks the banner.</tags>
<solution type="VendorFix">Update to version 9.8 or later.</solution>
<epss><max_severity><score>0.97113</score><percentile>0.99</percentile><cve id="CVE-2024-6387"><severity>8.1</severity></cve></max_severity></epss>
<refs><ref type="cve" id="CVE-2024-6387"/><ref type="cert-bund" id="WID-SEC-2024-1484"/><ref type="url" id="https://www.openssh.com/txt/release-9.8"/></refs></nvt>
<threat>Critical</threat><severity>9.8</severity><qod><value>80</value></qod>
<description>Installed version: 8.9p1
Fixed version:     9.8</description>
<notes><note id="n1"><text>seen</text><result id="a"/></note></notes>
<overrides><override id="o1"><new_severity>9.8</new_severity><result id="a"/></override></overrides>
<delta>changed<result id="a-old"><host>10.1.1.5</host><port>22/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.900001"/><threat>High</threat><severity>8.1</severity></result></delta>
</result>
<result id="b"><host>10.1.1.5</host><port>general/CPE-T</port><nvt oid="1.3.6.1.4.1.25623.1.0.810002"><name>CPE Inventory</name>
<cvss_base>0.0</cvss_base><tags>cvss_base_vector=AV:N/AC:L/Au:N/C:N/I:N/A:N|summary=Lists the CPEs.</tags></nvt>
<threat>Log</threat><severity>0.0</severity><description>10.1.1.5|cpe:/a:openbsd:openssh:8.9p1</description></result>
<result id="c"><host>10.1.1.6</host><port>443/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.900003"><name>Weak TLS ciphers</name></nvt>
<threat>False Positive</threat><severity>-1.0</severity></result>
<result id="d"><host>10.1.1.6</host><port>80/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.900004"><name>HTTP TRACE enabled</name>
<cvss_base>5.0</cvss_base><tags>cvss_base_vector=AV:N/AC:L/Au:N/C:P/I:N/A:N|summary=TRACE is on.</tags></nvt>
<threat>Medium</threat><severity>5.0</severity></result>
</results>
<result_count>3<full>3</full><filtered>3</filtered></result_count>
<host><ip>10.1.1.5</ip><result_count><page>2</page></result_count></host>
</report></report></get_reports_response>
`;
    const { outcome, findings, vulnerabilities, dialect } = await readReport(file('gmp-response.xml', gmp));
    expect(dialect).toBe('openvas-xml');
    expect(outcome.kind).toBe('ok');
    const lineOf = (id: string) => gmp.split('\n').findIndex((l) => l.startsWith(`<result id="${id}"`)) + 1;
    expect(findings.map((f) => [f.vulnKey, f.line])).toEqual([
      ['1.3.6.1.4.1.25623.1.0.900001', lineOf('a')],
      ['1.3.6.1.4.1.25623.1.0.810002', lineOf('b')],
      ['1.3.6.1.4.1.25623.1.0.900004', lineOf('d')],
    ]);
    expect(findings[0]).toMatchObject({
      ip: '10.1.1.5',
      dns: 'db1.example.org',
      port: 22,
      severity: 5,
      results: 'Installed version: 8.9p1\nFixed version:     9.8',
      lastDetected: Date.UTC(2026, 2, 1, 10),
    });
    expect(vulnerabilities[0]).toMatchObject({
      threat: 'OpenSSH is prone to | several flaws.\n\nRace in the signal handler.',
      impact: 'Remote code execution.',
      solution: 'Update to version 9.8 or later.',
      cves: ['CVE-2024-6387'],
      vendorReferences: 'WID-SEC-2024-1484, https://www.openssh.com/txt/release-9.8',
      cvss3Base: 9.8,
      cvss3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      cvssBase: 7.5,
      cvssVector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P',
      epss: 0.97113,
    });
    // A Log result is information (severity 1); a non-numeric port keeps its "protocol" as written.
    expect(findings[1]).toMatchObject({
      severity: 1,
      vulnType: 'information',
      port: null,
      protocol: 'cpe-t',
    });
    expect(vulnerabilities[1]).toMatchObject({
      vulnType: 'information',
      cvssVector: 'AV:N/AC:L/Au:N/C:N/I:N/A:N',
    });
    expect(vulnerabilities[2]).toMatchObject({ cvssBase: 5, cvssVector: 'AV:N/AC:L/Au:N/C:P/I:N/A:N' });
  });
});

describe('recognising OpenVAS / Greenbone reports', () => {
  it('recognises a renamed file by its content', async () => {
    const csv = join(dir, 'export.txt');
    const xml = join(dir, 'scan-results.dat');
    copyFileSync(fixture('openvas/report_detail_v2.csv'), csv);
    copyFileSync(fixture('openvas/many_vuln.xml'), xml);
    expect((await readReport(csv)).dialect).toBe('openvas-csv');
    expect((await readReport(xml)).findings).toHaveLength(44);
  });

  it('claims no fixture of another scanner, nor a foreign XML whose root is also <report>', () => {
    const others = readdirSync(scansDir, { recursive: true, encoding: 'utf8' })
      .filter((path) => !path.startsWith('openvas') && statSync(join(scansDir, path)).isFile())
      .filter((path) => /\.(csv|xml|nessus|json|jsonl)$/.test(path));
    expect(others.length).toBeGreaterThan(20);
    for (const path of others) {
      const head = headFor(headOf(join(scansDir, path)));
      expect([path, openvasCsv.recognises(head), openvasXml.recognises(head)]).toEqual([path, false, false]);
    }
    const arachni = headFor(Buffer.from('<?xml version="1.0"?>\n<report xmlns:xsi="x"><issues/></report>'));
    expect(openvasXml.recognises(arachni)).toBe(false);
  });
});

describe('bad OpenVAS / Greenbone input', () => {
  it('fails a truncated XML report with its last line and why', async () => {
    const text = readFileSync(fixture('openvas/many_vuln.xml'), 'utf8');
    const cut = text.slice(0, text.indexOf('<description>', 20_000) + 40);
    const { outcome } = await readReport(file('cut.xml', cut));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: cut.split('\n').length,
      reason: expect.stringContaining('not well-formed XML'),
    });
  });

  it('fails a CSV truncated inside a quoted field, with the line where its row starts', async () => {
    const text = readFileSync(fixture('openvas/many_vuln.csv'), 'utf8');
    const cut = text.slice(0, text.indexOf('Server Temporary Key Size'));
    const { outcome } = await readReport(file('cut.csv', cut));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: 27,
      reason: expect.stringContaining('quoted field never closed'),
    });
  });

  it('fails a CSV row whose severity is not a Greenbone threat level, naming the line', async () => {
    const header = readFileSync(fixture('openvas/many_vuln.csv'), 'utf8').split('\n', 1)[0]!;
    const row = header
      .split(',')
      .map(
        (name) => ({ IP: '10.0.0.1', 'NVT OID': '1.3.6.1.4.1.25623.1.0.1', Severity: 'Severe' })[name] ?? '',
      );
    const { outcome } = await readReport(file('bad-severity.csv', `${header}\n${row.join(',')}\n`));
    expect(outcome).toMatchObject({ kind: 'failed', line: 2, reason: expect.stringContaining('"Severe"') });
  });
});

/** A file's head as the upload route builds it (decoded text and its first CSV records). */
function headFor(bytes: Buffer): ReportHead {
  const encoding = detectEncoding(bytes);
  const text = decoderFor(encoding).write(bytes.subarray(bomLength(encoding)));
  const records = Papa.parse<string[]>(text, { preview: 30, delimiter: detectDelimiter(text) }).data;
  return { text, records };
}
