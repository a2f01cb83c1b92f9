import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nmapXml } from '../../src/domain/formats/nmap/nmap-xml.ts';
import type { ReportHead } from '../../src/domain/formats/report-format.ts';
import type { ParsedFinding } from '../../src/domain/report-model.ts';
import { fixture, scansDir } from '../fixtures.ts';
import { headOf, readReport } from '../read-report.ts';

const keyOf = (f: ParsedFinding) => `${f.ip}|${f.vulnKey}|${f.port ?? ''}|${f.protocol}`;
const dir = mkdtempSync(join(tmpdir(), 'q2h-nmap-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** 1-based line of each open <port> element of an nmap file, in order. */
function openPortLines(path: string): number[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line, i) => [...line.matchAll(/<port [^>]*><state state="open"/g)].map(() => i + 1));
}

describe('nmap XML', () => {
  it('reads nmap_script_vulners.xml as 3 findings, as DefectDojo: 2 vulners CVEs and the open port', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('nmap/nmap_script_vulners.xml'),
    );
    expect(dialect).toBe('nmap-xml');
    expect(outcome.kind).toBe('ok');
    const started = Date.UTC(2020, 1, 17, 9, 7, 25); // <nmaprun start="1581930445">
    expect(findings.map((f) => [f.vulnKey, f.severity, f.vulnType, f.scannerSeverity])).toEqual([
      ['CVE-2018-15919', 3, 'vulnerability', '5.0'],
      ['CVE-2017-15906', 3, 'vulnerability', '5.0'],
      ['open-port:5022/tcp', 1, 'information', ''],
    ]);
    for (const f of findings) {
      expect(f).toMatchObject({
        ip: '192.168.0.1',
        dns: '', // no hostname
        port: 5022,
        protocol: 'tcp',
        lastDetected: started,
        firstDetected: null,
        line: 13,
      });
    }
    expect(findings[0]!.results).toBe('OpenSSH 7.4 (cpe:/a:openbsd:openssh:7.4)');
    expect(findings[2]!.results).toBe('ssh: OpenSSH 7.4 (protocol 2.0)');
    expect(vulnerabilities[0]).toMatchObject({
      title: 'CVE-2018-15919',
      cves: ['CVE-2018-15919'],
      cvssBase: 5,
      cvss3Base: null,
      category: 'vulners cve',
      vendorReferences: 'https://vulners.com/cve/CVE-2018-15919',
      threat: '',
    });
    expect(vulnerabilities[2]).toMatchObject({
      title: 'Open port: 5022/tcp',
      severity: 1,
      vulnType: 'information',
    });
  });

  it('reads issue4406.xml as 67 findings, as DefectDojo: 25 open ports and 42 vulners entries on port 22', async () => {
    const { outcome, findings, vulnerabilities } = await readReport(fixture('nmap/issue4406.xml'));
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(67);
    expect(new Set(findings.map(keyOf)).size).toBe(67);
    expect(findings.filter((f) => f.vulnType === 'information')).toHaveLength(25);
    expect(findings.filter((f) => f.port === 22 && f.vulnType === 'vulnerability')).toHaveLength(42);
    expect(findings[0]).toMatchObject({
      vulnKey: 'MSF:ILITIES/UBUNTU-CVE-2019-6111/',
      severity: 3,
      port: 22,
    });
    expect(vulnerabilities[0]).toMatchObject({
      cves: ['CVE-2019-6111'], // named inside the Metasploit module's id
      threat: 'Vulners lists this entry as an exploit.',
      vendorReferences: 'https://vulners.com/metasploit/MSF:ILITIES/UBUNTU-CVE-2019-6111/',
    });
    expect(findings[27]).toMatchObject({
      vulnKey: 'EXPLOITPACK:EBDBC5685E3276D648B4D14B75563283',
      severity: 3,
    });
    expect(vulnerabilities[48]!.title).toBe('Open port: 9100/tcp');
    expect(vulnerabilities[66]!.title).toBe('Open port: 31641/tcp');
    for (const f of [findings[48]!, findings[66]!]) {
      expect(f).toMatchObject({
        dns: 'ip-10-250-195-71.eu-west-1.compute.internal',
        lastDetected: Date.UTC(2021, 3, 29, 9, 26, 36),
      });
    }
    // Severity from the vulners CVSS: 5.8 and 4.0 Medium, 2.6 Low, 0.0 (exploit listings) 1.
    const severityOf = (id: string) => findings.find((f) => f.vulnKey === id)!.severity;
    expect(['CVE-2019-6111', 'CVE-2019-6109', 'CVE-2018-20685', 'EDB-ID:46193'].map(severityOf)).toEqual([
      3, 3, 2, 1,
    ]);
    expect(findings.find((f) => f.port === 2379)).toMatchObject({ ssl: true, results: 'ssl/etcd-client' });
  });

  it('reads issue12411.xml as 4 findings: DefectDojo says 2, merging each port number across hosts', async () => {
    // 2 hosts each with 80/tcp and 443/tcp open: q2h counts host × port, DefectDojo one finding per port
    // number with the hosts as endpoints. The 3 filtered ports of 54.239.28.85 are not findings.
    const { findings, vulnerabilities } = await readReport(fixture('nmap/issue12411.xml'));
    expect(findings.map((f) => [f.ip, f.port, f.severity])).toEqual([
      ['172.217.18.238', 80, 1],
      ['172.217.18.238', 443, 1],
      ['54.239.28.85', 80, 1],
      ['54.239.28.85', 443, 1],
    ]);
    expect(vulnerabilities.map((v) => v.title)).toEqual(['Open port: 80/tcp', 'Open port: 443/tcp']);
    // Host names: the PTR name is the DNS name, the name the scan was given (type "user") the FQDN.
    expect(findings[0]).toMatchObject({ dns: 'par10s10-in-f238.1e100.net', fqdn: 'google.com' });
    expect(findings[2]).toMatchObject({ dns: 'amazon.com', fqdn: 'amazon.com' });
  });

  it('reads nmap_0port.xml (a host with no port) as 0 findings', async () => {
    const { outcome, findings } = await readReport(fixture('nmap/nmap_0port.xml'));
    expect(outcome).toMatchObject({ kind: 'ok', rows: 0 });
    expect(findings).toHaveLength(0);
  });

  it('reads nmap_1port.xml as the open port 5432/tcp, as DefectDojo', async () => {
    const { findings, vulnerabilities } = await readReport(fixture('nmap/nmap_1port.xml'));
    expect(findings).toEqual([
      expect.objectContaining({
        ip: '127.0.0.1',
        dns: 'localhost.localdomain',
        port: 5432,
        protocol: 'tcp',
        severity: 1,
        lastDetected: Date.UTC(2014, 2, 29, 14, 46, 56),
        results: 'postgresql',
      }),
    ]);
    expect(vulnerabilities[0]!.title).toBe('Open port: 5432/tcp');
  });

  it('reads nmap_multiple_port.xml as 13 open ports of one host, as DefectDojo', async () => {
    const { findings, vulnerabilities } = await readReport(fixture('nmap/nmap_multiple_port.xml'));
    expect(findings).toHaveLength(13);
    expect(vulnerabilities[0]!.title).toBe('Open port: 21/tcp');
    for (const f of findings) {
      expect(f).toMatchObject({
        ip: '198.38.82.159',
        dns: 'mocha2005.mochahost.com',
        fqdn: 'joaquinlp.me',
        lastDetected: Date.UTC(2016, 4, 16, 17, 56, 59),
      });
    }
  });

  it('gives each finding the line of its <port> element', async () => {
    for (const name of [
      'issue4406.xml',
      'issue12411.xml',
      'nmap_multiple_port.xml',
      'nmap_script_vulners.xml',
    ]) {
      const { findings } = await readReport(fixture(`nmap/${name}`));
      const openPorts = findings.filter((f) => f.vulnType === 'information');
      expect([name, openPorts.map((f) => f.line)]).toEqual([name, openPortLines(fixture(`nmap/${name}`))]);
    }
  });

  it('takes the OS guess that follows the ports, skips ports that are not open, and keeps IPv6 hosts', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" start="1767225600" version="7.95">
<host><status state="up"/>
<address addr="2001:db8::5" addrtype="ipv6"/><address addr="00:11:22:33:44:55" addrtype="mac" vendor="Acme"/>
<hostnames><hostname name="DB5.Example.org" type="PTR"/></hostnames>
<ports>
<port protocol="tcp" portid="5432"><state state="open"/><service name="postgresql" product="PostgreSQL DB" version="16.2"/></port>
<port protocol="udp" portid="161"><state state="open|filtered"/><service name="snmp"/></port>
<port protocol="tcp" portid="23"><state state="closed"/></port>
</ports>
<os><osmatch name="Linux 5.0 - 6.2" accuracy="100"/><osmatch name="Linux 4.15" accuracy="95"/></os>
</host>
</nmaprun>
`;
    const { findings } = await readReport(file('os.xml', xml));
    expect(findings).toEqual([
      expect.objectContaining({
        ip: '2001:db8::5',
        dns: 'db5.example.org',
        os: 'Linux 5.0 - 6.2',
        port: 5432,
        line: 7,
        results: 'postgresql: PostgreSQL DB 16.2',
        lastDetected: Date.UTC(2026, 0, 1),
      }),
    ]);
  });

  it('makes one finding of a vulners id listed under two CPEs of one port', async () => {
    const entry = (id: string) =>
      `<table><elem key="cvss">9.8</elem><elem key="id">${id}</elem><elem key="type">cve</elem><elem key="is_exploit">false</elem></table>`;
    const xml = `<nmaprun start="1767225600"><host><address addr="10.0.0.9" addrtype="ipv4"/><ports>
<port protocol="tcp" portid="443"><state state="open"/><service name="http" product="nginx" version="1.18.0" tunnel="ssl"/>
<script id="vulners" output="..."><table key="cpe:/a:nginx:nginx:1.18.0">${entry('CVE-2021-23017')}</table>
<table key="cpe:/a:igor_sysoev:nginx:1.18.0">${entry('CVE-2021-23017')}${entry('CVE-2021-3618')}</table></script></port>
</ports></host></nmaprun>`;
    const { findings } = await readReport(file('two-cpes.xml', xml));
    expect(findings.map((f) => [f.vulnKey, f.severity, f.ssl])).toEqual([
      ['CVE-2021-23017', 5, true],
      ['CVE-2021-3618', 5, true],
      ['open-port:443/tcp', 1, true],
    ]);
  });
});

describe('recognising nmap XML', () => {
  it('recognises a renamed file by its content', async () => {
    const path = join(dir, 'scan.out');
    copyFileSync(fixture('nmap/issue4406.xml'), path);
    expect((await readReport(path)).findings).toHaveLength(67);
  });

  it('claims no fixture of another scanner', () => {
    const others = readdirSync(scansDir, { recursive: true, encoding: 'utf8' })
      .filter((path) => !path.startsWith('nmap') && statSync(join(scansDir, path)).isFile())
      .filter((path) => /\.(csv|xml|nessus|json|jsonl)$/.test(path));
    expect(others.length).toBeGreaterThan(20);
    for (const path of others)
      expect([path, nmapXml.recognises(headFor(headOf(join(scansDir, path))))]).toEqual([path, false]);
  });
});

describe('bad nmap input', () => {
  it('fails a truncated file with its last line and why', async () => {
    const text = readFileSync(fixture('nmap/issue4406.xml'), 'utf8');
    const cut = text.slice(0, text.indexOf('portid="9100"'));
    const { outcome } = await readReport(file('cut.xml', cut));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: cut.split('\n').length,
      reason: expect.stringContaining('not well-formed XML'),
    });
  });

  it('fails a host that has neither an address nor a name', async () => {
    const xml = '<nmaprun start="1767225600">\n<host><status state="up"/>\n<ports/></host>\n</nmaprun>\n';
    const { outcome } = await readReport(file('no-address.xml', xml));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: 3,
      reason: expect.stringContaining('without an IP'),
    });
  });
});

/** The head the upload route gives formats; nmap's format reads only its text. */
function headFor(bytes: Buffer): ReportHead {
  return { text: bytes.toString('utf8').replace(/^\uFEFF/, ''), records: [] };
}
