import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonArrayElements, type JsonRecord } from '../../src/domain/formats/nuclei/json-records.ts';
import { nucleiJsonExport, nucleiJsonLines } from '../../src/domain/formats/nuclei/nuclei-formats.ts';
import type { ReportHead } from '../../src/domain/formats/report-format.ts';
import { recogniseReport } from '../../src/domain/recognise-report.ts';
import { assetOf, type EmittedFinding, type ParsedFinding } from '../../src/domain/report-model.ts';
import { fixture, scansDir } from '../fixtures.ts';
import { headOf, readReport } from '../read-report.ts';

const keyOf = (f: ParsedFinding) => `${assetOf(f)}|${f.vulnKey}|${f.port ?? ''}|${f.protocol}`;
const dir = mkdtempSync(join(tmpdir(), 'q2h-nuclei-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const fixtureLines = (name: string) =>
  readFileSync(fixture(`nuclei/${name}`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

describe('Nuclei JSON Lines', () => {
  it('reads issue_14071.json (v3, no host key) as 26 findings: DefectDojo says 27, the 27th names no target', async () => {
    // 27 results: 26 name their target (matched-at, or url for the two javascript ones); the last, the
    // DNS template nameserver-fingerprint, has no host, ip, url nor matched-at (it queried "."): q2h
    // cannot put it on an asset and does not count it. DefectDojo keeps it, without an endpoint.
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('nuclei/issue_14071.json'),
    );
    expect(dialect).toBe('nuclei-jsonl');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(26);
    expect(findings.map((f) => f.line)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
    expect(new Set(findings.map(keyOf)).size).toBe(26);
    expect(findings.some((f) => f.vulnKey === 'nameserver-fingerprint')).toBe(false);
    const bySeverity = (s: number) => findings.filter((f) => f.severity === s).length;
    expect([1, 2, 3, 4, 5].map(bySeverity)).toEqual([22, 1, 2, 0, 1]);

    const login = findings[0]!;
    expect(login).toMatchObject({
      vulnKey: 'dvwa-default-login',
      severity: 5,
      scannerSeverity: 'critical',
      vulnType: 'vulnerability',
      ip: '172.18.0.3',
      dns: 'dvwa_dvwa_1', // underscores in the host name, kept
      fqdn: 'dvwa_dvwa_1',
      port: 80,
      protocol: 'tcp',
      ssl: false,
      firstDetected: null,
      lastDetected: Date.UTC(2026, 0, 12, 13, 46, 54, 716), // 13:46:54.716706997Z, nanoseconds cut
      results: 'http://dvwa_dvwa_1/index.php',
    });
    expect(vulnerabilities[0]).toMatchObject({
      title: 'DVWA Default Login',
      category: 'http/default-logins/dvwa',
      cves: [],
      vendorReferences: 'CWE-798, https://opensourcelibs.com/lib/dvwa',
    });
    const medium = findings.filter((f) => f.severity === 3);
    expect(medium.map((f) => [f.vulnKey, f.results])).toEqual([
      ['git-config', 'http://dvwa_dvwa_1/.git/config'],
      ['dockerfile-hidden-disclosure', 'http://dvwa_dvwa_1/Dockerfile'],
    ]);
    expect(vulnerabilities.find((v) => v.vulnKey === 'git-config')).toMatchObject({
      cvss3Base: 5.3,
      cvss3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N',
      cvssBase: null,
    });
  });

  it('keeps each matcher of one template as a vulnerability of its own (11 missing headers on one URL)', async () => {
    const { findings, vulnerabilities } = await readReport(fixture('nuclei/issue_14071.json'));
    const headers = findings.filter((f) => f.vulnKey.startsWith('http-missing-security-headers:'));
    expect(headers).toHaveLength(11);
    expect(new Set(headers.map(keyOf)).size).toBe(11);
    expect(
      vulnerabilities.find((v) => v.vulnKey === 'http-missing-security-headers:x-frame-options'),
    ).toMatchObject({
      title: 'HTTP Missing Security Headers: x-frame-options',
      severity: 1,
      vulnType: 'information',
    });
  });

  it('puts a result without ip on its host name, from a url with a stray leading slash', async () => {
    // Lines 3 and 4 (type javascript): url "/http://dvwa_dvwa_1/", port "80", no ip, no matched-at.
    const { findings } = await readReport(fixture('nuclei/issue_14071.json'));
    const cookies = findings.filter((f) => f.vulnKey.startsWith('cookies-without-'));
    expect(cookies.map((f) => [f.line, assetOf(f), f.ip, f.port, f.protocol])).toEqual([
      [3, 'dvwa_dvwa_1', '', 80, 'tcp'],
      [4, 'dvwa_dvwa_1', '', 80, 'tcp'],
    ]);
    expect(cookies[0]!.results).toBe('/http://dvwa_dvwa_1/\nsecurity\nPHPSESSID');
  });

  it('reads a 148 KB line that spans several read chunks', async () => {
    const { findings } = await readReport(fixture('nuclei/issue_14071.json'));
    expect(fixtureLines('issue_14071.json')[1]!.length).toBeGreaterThan(3 * 48 * 1024);
    expect(findings[1]).toMatchObject({
      line: 2,
      vulnKey: 'phpinfo-files',
      severity: 2,
      scannerSeverity: 'low',
    });
  });

  it('reads many_findings.json (2021 keys) as 18 findings: DefectDojo says 16, merging ports of one host', async () => {
    // DefectDojo keys a finding by (template, type, matcher, host name): tech-detect's bootstrap and
    // font-awesome on 127.0.0.1:8080/WebGoat and 127.0.0.1:9090/WebWolf make one finding each with two
    // endpoints. q2h's finding key has the port: two findings each, 18 in all, one per result.
    const { outcome, findings, vulnerabilities } = await readReport(fixture('nuclei/many_findings.json'));
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(18);
    expect(new Set(findings.map(keyOf)).size).toBe(18);
    expect(
      findings
        .filter((f) => f.vulnKey === 'tech-detect:bootstrap' && f.ip === '127.0.0.1')
        .map((f) => f.port),
    ).toEqual([8080, 9090]);
    expect(findings[0]).toMatchObject({
      vulnKey: 'openssh5.3-detect',
      severity: 2,
      ip: '178.21.15.56',
      dns: 'nuclei-example.com',
      port: 22, // from matched "nuclei-example.com:22", not the https of host
      protocol: 'tcp',
      ssl: false,
      lastDetected: Date.UTC(2021, 4, 20, 8, 11, 1, 667), // 11:11:01.667748+03:00
    });
    expect(vulnerabilities[0]).toMatchObject({
      title: 'OpenSSH 5.3 Detection',
      category: '',
      vendorReferences:
        'http://seclists.org/fulldisclosure/2016/Jul/51, https://security-tracker.debian.org/tracker/CVE-2016-6210, ' +
        'http://openwall.com/lists/oss-security/2016/08/01/2',
    });
    expect(findings[2]).toMatchObject({
      vulnKey: 'phpmyadmin-setup',
      severity: 3,
      port: 443,
      ssl: true,
      results: 'https://nuclei-example.com/phpmyadmin/setup/index.php',
    });
    expect(vulnerabilities[2]!.title).toBe('phpMyAdmin setup page');
    expect(findings[1]!.results).toBe('https://nuclei-example.com\nnginx/1.14.2'); // extracted_results
    expect(findings[3]).toMatchObject({
      vulnKey: 'tech-detect:animate.css',
      ip: '127.0.0.1',
      dns: '',
      port: 8080,
    });
  });

  it('reads many_findings_new.json (2022 keys) with its classification: CVE, CWE, CVSS', async () => {
    const { findings, vulnerabilities } = await readReport(fixture('nuclei/many_findings_new.json'));
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatchObject({
      vulnKey: 'CVE-2018-15473',
      severity: 3,
      dns: 'nuclei-example.com',
      port: 22,
      lastDetected: Date.UTC(2022, 2, 21, 1, 43, 31, 231), // 22:43:31.231312071-03:00
      results: 'nuclei-example.com:22\nSSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7',
    });
    expect(vulnerabilities[0]).toMatchObject({
      title: 'OpenSSH Username Enumeration v7.7',
      cves: ['CVE-2018-15473'],
      vendorReferences: 'CWE-362, https://nvd.nist.gov/vuln/detail/cve-2018-15473',
      cvss3Base: 5.3,
      cvss3Vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N',
      category: 'cves/2018',
    });
    expect(findings[1]).toMatchObject({
      vulnKey: 'prometheus-metrics',
      severity: 2,
      results: 'https://nuclei-example.com/metrics',
    });
    expect(vulnerabilities[1]!.title).toBe('Exposed Prometheus metrics');
  });

  it('reads multiple_matches.json (no final line break) as 2 findings, one per matcher, as DefectDojo does', async () => {
    const { findings, vulnerabilities } = await readReport(fixture('nuclei/multiple_matches.json'));
    expect(readFileSync(fixture('nuclei/multiple_matches.json'), 'utf8').endsWith('}')).toBe(true);
    expect(findings.map((f) => [f.vulnKey, f.dns, f.ip, f.port, f.ssl])).toEqual([
      ['tech-detect:genexus', 'turquoise-estrellita-69.tiiny.site', '3.160.231.125', 443, true],
      ['tech-detect:recaptcha', 'turquoise-estrellita-69.tiiny.site', '3.160.231.125', 443, true],
    ]);
    expect(vulnerabilities.map((v) => v.title)).toEqual([
      'Wappalyzer Technology Detection: genexus',
      'Wappalyzer Technology Detection: recaptcha',
    ]);
  });

  it('reads IPv6 targets, user info and explicit ports in URLs', async () => {
    const [line] = fixtureLines('many_findings_new.json');
    const result = JSON.parse(line!) as Record<string, unknown>;
    const variants = [
      {
        'matched-at': 'https://[2001:db8::7]:8443/metrics',
        host: 'https://[2001:db8::7]:8443',
        ip: undefined,
      },
      { 'matched-at': '2001:db8::8', host: '2001:db8::8', ip: undefined, type: 'dns' },
      {
        'matched-at': 'http://admin:secret@Intranet.Example.org:8080/login',
        host: 'intranet.example.org',
        ip: '10.1.2.3',
      },
    ];
    const text = variants
      .map((v, i) => JSON.stringify({ ...result, 'template-id': `t${i}`, ...v }))
      .join('\n');
    const { findings } = await readReport(file('targets.jsonl', text));
    expect(findings.map((f) => [f.ip, f.dns, f.port, f.protocol, f.ssl])).toEqual([
      ['2001:db8::7', '', 8443, 'tcp', true],
      ['2001:db8::8', '', null, 'udp', false],
      ['10.1.2.3', 'intranet.example.org', 8080, 'tcp', false],
    ]);
  });

  it('skips results written with -matcher-status that did not match', async () => {
    const [line] = fixtureLines('many_findings_new.json');
    const missed = JSON.stringify({ ...JSON.parse(line!), 'template-id': 'other', 'matcher-status': false });
    const { findings } = await readReport(file('matcher-status.jsonl', `${line}\n${missed}\n`));
    expect(findings.map((f) => f.vulnKey)).toEqual(['CVE-2018-15473']);
  });
});

describe('Nuclei JSON export (array)', () => {
  it('reads the pretty-printed multiple_v3.json as 5 findings: its 2 tls-version results make one, as in DefectDojo', async () => {
    // tls-version reports once per TLS version found (tls12, then tls13) on www.asdf.de:443: the same
    // finding key, written one after the other, so q2h makes one finding with both outputs.
    const { outcome, findings, vulnerabilities, dialect } = await readReport(
      fixture('nuclei/multiple_v3.json'),
    );
    expect(dialect).toBe('nuclei-json-export');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(5);
    expect(new Set(findings.map(keyOf)).size).toBe(5);
    expect(findings.every((f) => f.severity === 1 && f.scannerSeverity === 'info')).toBe(true);
    expect(findings.every((f) => f.dns === 'www.asdf.de')).toBe(true);
    const text = readFileSync(fixture('nuclei/multiple_v3.json'), 'utf8').split('\n');
    const starts = text.flatMap((line, i) => (line === '    {' ? [i + 1] : []));
    expect(starts).toHaveLength(6);
    expect(findings.map((f) => f.line)).toEqual(starts.slice(0, 5));
    expect(findings[0]).toMatchObject({
      vulnKey: 'dns-saas-service-detection:wix',
      ip: '',
      port: null, // a DNS record of the name, on no port
      protocol: 'udp',
      lastDetected: Date.UTC(2023, 10, 6, 13, 48, 31, 559), // 14:48:31.559886+01:00
      results: 'www.asdf.de\npointing.wixdns.net',
    });
    expect(findings[4]).toMatchObject({
      vulnKey: 'tls-version',
      ip: '8.8.8.8',
      port: 443,
      protocol: 'tcp',
      ssl: true,
      results: 'www.asdf.de:443\ntls12\n\nwww.asdf.de:443\ntls13',
    });
    expect(vulnerabilities[0]!.title).toBe('DNS SaaS Service Detection: wix');
    expect(vulnerabilities[1]).toMatchObject({
      vendorReferences: expect.stringMatching(/^CWE-200, https:/),
      cves: [],
    });
  });

  it('finds every element of a large export across read chunks, brackets and quotes inside strings included', async () => {
    const results = JSON.parse(readFileSync(fixture('nuclei/multiple_v3.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    const many = Array.from({ length: 300 }, (_, i) => ({
      ...results[i % 5]!,
      host: `h${i}.example.org`,
      'matched-at': `h${i}.example.org:443`,
      response: 'a "quoted" } ] [ { \\ text\nover lines',
    }));
    const text = JSON.stringify(many, null, 2);
    expect(text.length).toBeGreaterThan(6 * 48 * 1024);
    const { outcome, findings } = await readReport(file('large-export.json', text));
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(300);
    const starts = text.split('\n').flatMap((line, i) => (line === '  {' ? [i + 1] : []));
    expect(findings.map((f) => f.line)).toEqual(starts);
    expect(findings[299]!.dns).toBe('h299.example.org');
  });

  it('reads a one-line export with no space between elements', async () => {
    const text = JSON.stringify(JSON.parse(readFileSync(fixture('nuclei/multiple_v3.json'), 'utf8')));
    const { findings } = await readReport(file('one-line.json', text));
    expect(findings).toHaveLength(5);
    expect(findings.every((f) => f.line === 1)).toBe(true);
  });
});

describe('cutting a JSON export into results', () => {
  it('finds the same results and lines wherever a read chunk ends, escapes and brackets in strings included', () => {
    const text = '[\n  {"a": "x\\"}]\\\\", "b": [1, {"c": "]"}]},\n  {"d": "\\\\"}\n]\n';
    expect(JSON.parse(text)).toHaveLength(2);
    const whole = splitAll([text]);
    expect(whole).toEqual([
      { text: '{"a": "x\\"}]\\\\", "b": [1, {"c": "]"}]}', line: 2 },
      { text: '{"d": "\\\\"}', line: 3 },
    ]);
    for (let at = 0; at <= text.length; at++) {
      expect([at, splitAll([text.slice(0, at), text.slice(at)])]).toEqual([at, whole]);
    }
  });
});

function splitAll(chunks: string[]): JsonRecord[] {
  const splitter = new JsonArrayElements();
  const records: JsonRecord[] = [];
  for (const split of [...chunks.map((chunk) => splitter.push(chunk)), splitter.end()]) {
    if (split.kind === 'failed') throw new Error(split.reason);
    records.push(...split.records);
  }
  return records;
}

describe('empty Nuclei output', () => {
  it('refuses empty.jsonl at upload as an empty file, where DefectDojo imports 0 findings', () => {
    // The upload route recognises reports by content: a 0-byte (or blank) file has none, and is refused
    // with "the file is empty" before any format is tried.
    expect(readFileSync(fixture('nuclei/empty.jsonl'))).toHaveLength(0);
    expect(recogniseReport(headOf(fixture('nuclei/empty.jsonl')))).toMatchObject({
      kind: 'rejected',
      slug: 'empty-file',
    });
    expect(recogniseReport(Buffer.from('\n  \n'))).toMatchObject({ kind: 'rejected', slug: 'empty-file' });
  });

  it('reads an empty file as 0 findings when asked to', async () => {
    const found: EmittedFinding[] = [];
    const sink = {
      accept: async (findings: readonly EmittedFinding[]) => {
        found.push(...findings);
        return 'continue' as const;
      },
    };
    const source = { path: fixture('nuclei/empty.jsonl'), encoding: 'utf-8' as const };
    expect(await nucleiJsonLines.read(source, sink)).toEqual({ kind: 'ok', bytes: 0, declared: null });
    expect(found).toHaveLength(0);
  });
});

describe('recognising Nuclei output', () => {
  it('recognises renamed files by their content', async () => {
    const lines = join(dir, 'scan-output.txt');
    const array = join(dir, 'export.dat');
    copyFileSync(fixture('nuclei/many_findings.json'), lines);
    copyFileSync(fixture('nuclei/multiple_v3.json'), array);
    expect((await readReport(lines)).dialect).toBe('nuclei-jsonl');
    expect((await readReport(array)).dialect).toBe('nuclei-json-export');
  });

  it('claims no fixture of another scanner, nor JSON that is not Nuclei output', () => {
    const others = readdirSync(scansDir, { recursive: true, encoding: 'utf8' })
      .filter((path) => !path.startsWith('nuclei') && statSync(join(scansDir, path)).isFile())
      .filter((path) => /\.(csv|xml|nessus|json|jsonl)$/.test(path));
    expect(others.length).toBeGreaterThan(20);
    for (const path of others) {
      const head = headFor(headOf(join(scansDir, path)));
      expect([path, nucleiJsonLines.recognises(head), nucleiJsonExport.recognises(head)]).toEqual([
        path,
        false,
        false,
      ]);
    }
    for (const text of ['{"id": 1, "info": {}}\n', '[{"template": "a.yaml"}]', '[]']) {
      const head = headFor(Buffer.from(text));
      expect([text, nucleiJsonLines.recognises(head), nucleiJsonExport.recognises(head)]).toEqual([
        text,
        false,
        false,
      ]);
    }
  });
});

describe('bad Nuclei input', () => {
  it('fails a JSON Lines file cut inside a result, on that line', async () => {
    const lines = fixtureLines('many_findings.json');
    const cut = `${lines.slice(0, 4).join('\n')}\n${lines[4]!.slice(0, 90)}`;
    const { outcome } = await readReport(file('cut.jsonl', cut));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: 5,
      reason: expect.stringContaining('not valid JSON'),
    });
  });

  it('fails an export cut inside a result, on the line the result starts', async () => {
    const text = readFileSync(fixture('nuclei/multiple_v3.json'), 'utf8');
    const { outcome } = await readReport(file('cut.json', text.slice(0, text.indexOf('"tls-version"'))));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: 136,
      reason: expect.stringContaining('truncated'),
    });
  });

  it('fails an export whose array is never closed', async () => {
    const text = readFileSync(fixture('nuclei/multiple_v3.json'), 'utf8');
    const { outcome } = await readReport(file('unclosed.json', text.slice(0, text.lastIndexOf(']'))));
    expect(outcome).toMatchObject({ kind: 'failed', reason: expect.stringContaining('never closed') });
  });

  it('fails a line that is not a Nuclei result, naming the line', async () => {
    const [first] = fixtureLines('many_findings_new.json');
    const { outcome } = await readReport(file('foreign.jsonl', `${first}\n\n{"name": "other tool"}\n`));
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: 3,
      reason: expect.stringContaining('no template-id'),
    });
  });

  it('fails an export with two results not separated by a comma', async () => {
    const [first] = fixtureLines('many_findings_new.json');
    const { outcome } = await readReport(file('no-comma.json', `[\n${first}\n${first}\n]`));
    expect(outcome).toMatchObject({ kind: 'failed', line: 3, reason: 'expected "," or "]" after a result' });
  });
});

/** The head the upload route gives formats; Nuclei formats read only its text. */
function headFor(bytes: Buffer): ReportHead {
  return { text: bytes.toString('utf8').replace(/^\uFEFF/, ''), records: [] };
}
