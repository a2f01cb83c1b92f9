/**
 * Streaming generator of large, realistic Nuclei JSON Lines output (`nuclei -jsonl`, v3 keys as in
 * shared/fixtures/scans/nuclei/issue_14071.json and multiple_matches.json; fictional data): per host,
 * its web services' technology and missing-header matchers, exposures and CVE templates with their
 * classification, TLS results on its HTTPS ports, network templates on SSH / MySQL / Redis, DNS
 * templates on its name. HTTP results carry their raw request and response, Go's JSON escapes (\u003c)
 * and some non-ASCII text.
 *
 * q2h's counting: one finding per host × template:matcher × port, except that tls-version reports once
 * per TLS version and an exposure can match two paths, one result after the other: those consecutive
 * results are one finding. DNS results carry no ip, so a host with DNS results is two assets (its IP
 * and its name), as in multiple_v3.json.
 *
 * One pass: hosts are drawn one after another from seeded PRNG streams and their results written until
 * the next finding would pass the target size. Memory: the CVE template catalog (drawn lazily, cached);
 * the text goes out in ~1 MiB Buffers, with backpressure.
 *
 * CLI: node --import tsx bench/src/generate-nuclei.ts --size 200MB --out bench/out/nuclei-200mb.jsonl [--seed 1]
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { Rng } from './generate-scan-report.ts';
import { runGeneratorCli } from './generator-cli.ts';

const CHUNK_BYTES = 1 << 20;
/** Distinct CVE templates the web services draw from. */
const CATALOG_SIZE = 1500;
const SCAN_START = Date.UTC(2026, 2, 2, 22, 0, 0);

const D_CATALOG = 21;
const D_HOST = 22;
const D_RESULTS = 23;

type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
type Protocol = 'http' | 'ssl' | 'network' | 'javascript' | 'dns';

/** What a template says about itself (its `info`), shared by all its results. */
interface Template {
  id: string;
  path: string;
  name: string;
  author: string[];
  tags: string[];
  severity: Severity;
  description: string;
  reference: string[];
  classification?: Record<string, unknown>;
  remediation?: string;
  type: Protocol;
  /** Each matcher a template reports is a finding of its own (`tech-detect:nginx`). */
  matchers?: readonly string[];
  /** URL paths an HTTP template probes. */
  paths?: readonly string[];
  extract?: (rng: Rng, host: Host) => string[];
}

interface Service {
  port: number;
  scheme: 'http' | 'https' | '';
  kind: 'web' | 'ssh' | 'mysql' | 'redis';
}

interface Host {
  ip: string;
  name: string;
  services: Service[];
  server: string;
}

const SITES = ['lyon', 'zurich', 'muenchen', 'paris', 'sao-paulo'];
const ROLES = ['www', 'shop', 'api', 'portal', 'intranet', 'grafana', 'jenkins', 'wiki', 'git', 'mail'];
const SERVERS = ['nginx/1.24.0', 'Apache/2.4.58 (Debian)', 'Microsoft-IIS/10.0', 'openresty', 'cloudflare'];
const TECH = [
  'nginx',
  'apache',
  'php',
  'bootstrap',
  'jquery',
  'font-awesome',
  'google-font-api',
  'wordpress',
  'react',
  'vue.js',
  'recaptcha',
  'genexus',
];
const HEADERS = [
  'strict-transport-security',
  'content-security-policy',
  'permissions-policy',
  'x-frame-options',
  'x-content-type-options',
  'x-permitted-cross-domain-policies',
  'referrer-policy',
  'clear-site-data',
  'cross-origin-embedder-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
];
const PRODUCTS = [
  'WordPress',
  'Jenkins',
  'GitLab',
  'Grafana',
  'Confluence',
  'Apache Tomcat',
  'Jira',
  'phpMyAdmin',
  'Roundcube',
  'Zimbra',
];
const FLAWS = [
  ['Remote Code Execution', 'cwe-94', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
  ['SQL Injection', 'cwe-89', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
  ['Path Traversal', 'cwe-22', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'],
  ['Cross-Site Scripting', 'cwe-79', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'],
  ['Server-Side Request Forgery', 'cwe-918', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N'],
  ['Information Disclosure', 'cwe-200', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N'],
] as const;

const web = (
  id: string,
  name: string,
  severity: Severity,
  dir: string,
  more: Partial<Template> = {},
): Template => ({
  id,
  path: `http/${dir}/${id}.yaml`,
  name,
  author: ['pdteam'],
  tags: [dir.split('/')[0]!, 'vuln'],
  severity,
  description: `${name}: detected by a request to the web server.`,
  reference: [],
  type: 'http',
  ...more,
});

const TECH_DETECT = web('tech-detect', 'Wappalyzer Technology Detection', 'info', 'technologies', {
  author: ['hakluke', 'righettod'],
  tags: ['tech', 'discovery'],
  matchers: TECH,
});
const MISSING_HEADERS = web(
  'http-missing-security-headers',
  'HTTP Missing Security Headers',
  'info',
  'misconfiguration',
  {
    description:
      'This template searches for missing HTTP security headers. The impact of these missing headers can vary.\n',
    matchers: HEADERS,
  },
);
const WAF = web('waf-detect', 'WAF Detection', 'info', 'technologies', {
  matchers: ['cloudflare', 'nginxgeneric', 'apachegeneric', 'modsecurity'],
  classification: { 'cve-id': null, 'cwe-id': ['cwe-200'] },
});
/** Exposures and misconfigurations a web service may have, with the paths they probe. */
const EXPOSURES: readonly Template[] = [
  web('git-config', 'Git Configuration - Detect', 'medium', 'exposures/configs', {
    paths: ['/.git/config'],
    classification: {
      'cve-id': null,
      'cwe-id': ['cwe-200'],
      'cvss-metrics': 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N',
      'cvss-score': 5.3,
    },
  }),
  web('exposed-gitignore', 'Gitignore Config - Detect', 'info', 'exposures/configs', {
    paths: ['/.gitignore', '/app/.gitignore'],
  }),
  web('dockerfile-hidden-disclosure', 'Dockerfile - Detect', 'medium', 'exposures/configs', {
    paths: ['/Dockerfile', '/.dockerfile'],
  }),
  web('phpinfo-files', 'PHPinfo Page - Detect', 'low', 'exposures/configs', {
    paths: ['/phpinfo.php', '/info.php'],
    remediation:
      'Remove PHP Info pages from publicly accessible sites, or restrict access to authorized users only.',
    extract: (rng) => [`8.${rng.range(1, 3)}.${rng.range(0, 20)}`],
  }),
  web('exposed-env', 'Laravel .env File - Exposure', 'high', 'exposures/configs', { paths: ['/.env'] }),
  web('prometheus-metrics', 'Exposed Prometheus metrics', 'low', 'exposures/configs', {
    paths: ['/metrics'],
  }),
  web('robots-txt-endpoint', 'robots.txt endpoint prober', 'info', 'miscellaneous', {
    paths: ['/robots.txt'],
  }),
  web('dvwa-default-login', 'DVWA Default Login', 'critical', 'default-logins/dvwa', {
    paths: ['/login.php'],
    classification: { 'cve-id': null, 'cwe-id': ['cwe-798'] },
  }),
  web('cookies-without-httponly', 'Cookies without HttpOnly attribute - Detect', 'info', 'misconfiguration', {
    type: 'javascript',
    extract: () => ['PHPSESSID', 'security'],
  }),
];
const ssl = (id: string, name: string, severity: Severity, extract: Template['extract']): Template => ({
  id,
  path: `ssl/${id}.yaml`,
  name,
  author: ['pdteam'],
  tags: ['ssl', 'tls'],
  severity,
  description: `${name}.\n`,
  reference: [],
  type: 'ssl',
  ...(extract ? { extract } : {}),
});
const SSL: readonly Template[] = [
  ssl('ssl-issuer', 'Detect SSL Certificate Issuer', 'info', (rng) => [
    rng.pick(['Sectigo Limited', "Let's Encrypt", 'DigiCert Inc']),
  ]),
  ssl('ssl-dns-names', 'SSL DNS Names', 'info', (_rng, host) => [
    host.name,
    host.name.replace(/^[^.]+/, 'www'),
  ]),
  ssl('expired-ssl', 'Expired SSL Certificate', 'low', undefined),
  ssl('weak-cipher-suites', 'Weak Cipher Suites Detection', 'low', (rng) => [
    `[tls10 ${rng.pick(['TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA'])}]`,
  ]),
];
/** Reports once per TLS version it finds: consecutive results of one finding. */
const TLS_VERSION = ssl('tls-version', 'TLS Version - Detect', 'info', undefined);
const network = (
  id: string,
  name: string,
  severity: Severity,
  kind: Service['kind'],
  more: Partial<Template> = {},
): Template => ({
  id,
  path: `network/${id}.yaml`,
  name,
  author: ['iamthefrogy'],
  tags: ['network', kind],
  severity,
  description: `${name} on the ${kind} service.`,
  reference: [],
  type: 'network',
  ...more,
});
const NETWORK: Readonly<Record<Exclude<Service['kind'], 'web'>, readonly Template[]>> = {
  ssh: [
    network('openssh-detect', 'OpenSSH Service - Detect', 'info', 'ssh', {
      extract: (rng) => [
        `SSH-2.0-OpenSSH_${rng.pick(['7.4', '8.2p1 Ubuntu-4ubuntu0.11', '9.6p1 Debian-4'])}`,
      ],
    }),
    network('CVE-2018-15473', 'OpenSSH Username Enumeration v7.7', 'medium', 'ssh', {
      path: 'network/cves/2018/CVE-2018-15473.yaml',
      classification: {
        'cve-id': ['cve-2018-15473'],
        'cwe-id': ['cwe-362'],
        'cvss-metrics': 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N',
        'cvss-score': 5.3,
        'epss-score': 0.05318,
      },
    }),
  ],
  mysql: [network('mysql-native-password', 'MySQL DB with enabled native password', 'info', 'mysql')],
  redis: [
    network('redis-default-logins', 'Redis - Default Logins', 'high', 'redis', {
      type: 'javascript',
      tags: ['js', 'redis', 'default-login'],
    }),
  ],
};
const DNS: readonly Template[] = [
  {
    id: 'dns-saas-service-detection',
    path: 'dns/dns-saas-service-detection.yaml',
    name: 'DNS SaaS Service Detection',
    author: ['noah @thesubtlety', 'pdteam'],
    tags: ['dns', 'service'],
    severity: 'info',
    description: 'A CNAME DNS record was discovered',
    reference: ['https://ns1.com/resources/cname'],
    type: 'dns',
    matchers: ['azure', 'aws-cloudfront', 'fastly', 'wix'],
  },
  {
    id: 'caa-fingerprint',
    path: 'dns/caa-fingerprint.yaml',
    name: 'CAA Record',
    author: ['pdteam'],
    tags: ['dns', 'caa'],
    severity: 'info',
    description: 'A CAA record was discovered.',
    reference: [],
    type: 'dns',
    classification: { 'cve-id': null, 'cwe-id': ['cwe-200'] },
  },
];

/** CVE template i of the catalog, drawn from its own stream. */
function cveTemplate(seed: number, i: number): Template {
  const rng = new Rng(seed, D_CATALOG, i);
  const year = 2017 + (i % 9);
  const cve = `CVE-${year}-${10000 + ((i * 7919) % 89999)}`;
  const product = PRODUCTS[i % PRODUCTS.length]!;
  const [flaw, cwe, vector] = rng.pick(FLAWS);
  const score = rng.weighted([9.8, 8.8, 7.5, 6.1, 5.3, 4.3], [15, 20, 20, 25, 15, 5]);
  const severity: Severity = score >= 9 ? 'critical' : score >= 7 ? 'high' : 'medium';
  return web(cve, `${product} < ${rng.range(2, 16)}.${rng.range(0, 9)} - ${flaw}`, severity, `cves/${year}`, {
    author: [rng.pick(['dhiyaneshdk', 'daffainfo', 'ritikchaddha', 'princechaddha'])],
    tags: ['cve', `cve${year}`, product.toLowerCase().replaceAll(' ', ''), 'vuln'],
    description: `${product} is vulnerable to ${flaw.toLowerCase()} via a crafted request to an unauthenticated endpoint (« ${cve} »).`,
    reference: [
      `https://nvd.nist.gov/vuln/detail/${cve}`,
      `https://github.com/advisories/${cve.toLowerCase()}`,
    ],
    classification: {
      'cvss-metrics': vector,
      'cvss-score': score,
      'cve-id': [cve.toLowerCase()],
      'cwe-id': [cwe],
      'epss-score': Number((rng.next() ** 3).toFixed(5)),
      'epss-percentile': Number(rng.next().toFixed(5)),
      cpe: `cpe:2.3:a:${product.toLowerCase().replaceAll(' ', '_')}:*:*:*:*:*:*:*:*:*`,
    },
    remediation: `Upgrade ${product} to the latest version.`,
    paths: [rng.pick(['/api/v1/status', '/login', '/admin/config', '/index.php'])],
  });
}

function hostOf(seed: number, index: number): Host {
  const rng = new Rng(seed, D_HOST, index);
  const site = index % SITES.length;
  const n = Math.floor(index / SITES.length);
  const services: Service[] = [];
  if (rng.chance(0.6)) services.push({ port: 80, scheme: 'http', kind: 'web' });
  if (rng.chance(0.85)) services.push({ port: 443, scheme: 'https', kind: 'web' });
  if (rng.chance(0.2))
    services.push({ port: rng.pick([8080, 8443, 9090]), scheme: rng.pick(['http', 'https']), kind: 'web' });
  if (rng.chance(0.7)) services.push({ port: 22, scheme: '', kind: 'ssh' });
  if (rng.chance(0.15)) services.push({ port: 3306, scheme: '', kind: 'mysql' });
  if (rng.chance(0.08)) services.push({ port: 6379, scheme: '', kind: 'redis' });
  return {
    ip: `10.${30 + site}.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`,
    name: `${rng.pick(ROLES)}${n}.${SITES[site]}.example.org`,
    services,
    server: rng.pick(SERVERS),
  };
}

/** A finding to write: one template (and matcher) on one service; `results` > 1 for consecutive repeats. */
interface Pick {
  template: Template;
  matcher?: string;
  service?: Service;
  results: number;
}

/** What a host's scan finds, in the order Nuclei would write it. */
function picksOf(host: Host, rng: Rng, catalog: (i: number) => Template): Pick[] {
  const picks: Pick[] = [];
  const some = <T>(items: readonly T[], p: number) => items.filter(() => rng.chance(p));
  for (const service of host.services) {
    if (service.kind !== 'web') {
      for (const template of some(NETWORK[service.kind], 0.8)) picks.push({ template, service, results: 1 });
      continue;
    }
    for (const matcher of some(TECH, 0.35))
      picks.push({ template: TECH_DETECT, matcher, service, results: 1 });
    for (const matcher of some(HEADERS, 0.6))
      picks.push({ template: MISSING_HEADERS, matcher, service, results: 1 });
    if (rng.chance(0.3)) picks.push({ template: WAF, matcher: rng.pick(WAF.matchers!), service, results: 1 });
    for (const template of some(EXPOSURES, 0.12)) {
      picks.push({ template, service, results: rng.chance(0.3) ? (template.paths?.length ?? 1) : 1 });
    }
    const cves = new Set(Array.from({ length: rng.range(0, 4) }, () => rng.int(CATALOG_SIZE)));
    for (const i of cves) picks.push({ template: catalog(i), service, results: 1 });
    if (service.scheme === 'https') {
      for (const template of some(SSL, 0.5)) picks.push({ template, service, results: 1 });
      picks.push({ template: TLS_VERSION, service, results: rng.chance(0.6) ? 2 : 1 });
    }
  }
  for (const template of some(DNS, 0.3)) {
    picks.push({
      template,
      ...(template.matchers ? { matcher: rng.pick(template.matchers) } : {}),
      results: 1,
    });
  }
  return picks;
}

/** Go's encoding/json escapes <, > and & in strings, as Nuclei's output shows (\u003chtml\u003e). */
const goJson = (value: unknown) =>
  JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);

/** RFC 3339 with nanoseconds, as Nuclei v3 writes its timestamps. */
function nanoTime(ms: number, rng: Rng): string {
  return new Date(ms).toISOString().replace('Z', `${String(rng.int(1_000_000)).padStart(6, '0')}Z`);
}

/** The JSON line of the n-th result of a pick. */
function resultLine(pick: Pick, n: number, host: Host, rng: Rng, at: number): string {
  const { template, matcher, service } = pick;
  const info = {
    name: template.name,
    author: template.author,
    tags: template.tags,
    ...(template.description ? { description: template.description } : {}),
    ...(template.reference.length > 0 ? { reference: template.reference } : {}),
    severity: template.severity,
    metadata: { 'max-request': template.paths?.length ?? 1 },
    ...(template.classification ? { classification: template.classification } : {}),
    ...(template.remediation ? { remediation: template.remediation } : {}),
  };
  const base = {
    template: template.path,
    'template-url': `https://cloud.projectdiscovery.io/public/${template.id}`,
    'template-id': template.id,
    'template-path': `/root/nuclei-templates/${template.path}`,
    info,
    ...(matcher ? { 'matcher-name': matcher } : {}),
    type: template.type,
  };
  const timestamp = nanoTime(at, rng);
  if (!service) {
    return goJson({
      ...base,
      host: host.name,
      'matched-at': host.name,
      ...(matcher ? { 'extracted-results': [`${host.name.split('.')[0]}.${matcher}.example.net`] } : {}),
      request: `;; opcode: QUERY, status: NOERROR, id: ${rng.range(1, 65535)}\n;; QUESTION SECTION:\n;${host.name}.\tIN\t ${matcher ? 'CNAME' : 'CAA'}\n`,
      timestamp,
      'matcher-status': true,
    });
  }
  const extracted =
    template === TLS_VERSION ? [n === 0 ? 'tls12' : 'tls13'] : (template.extract?.(rng, host) ?? []);
  const located = { host: host.name, port: String(service.port) };
  if (service.scheme === '' || template.type === 'ssl') {
    return goJson({
      ...base,
      ...located,
      'matched-at': `${host.name}:${service.port}`,
      ...(extracted.length > 0 ? { 'extracted-results': extracted } : {}),
      ip: host.ip,
      timestamp,
      'matcher-status': true,
    });
  }
  const origin = `${service.scheme}://${host.name}${service.port === 80 || service.port === 443 ? '' : `:${service.port}`}`;
  const path = template.paths?.[n] ?? '/';
  const body =
    `<html><head><title>${host.name.split('.')[0]} – Portail</title></head>\n<body><h1>Bienvenue, café crème & “quotes”</h1>\n` +
    `${'<p>lorem ipsum dolor sit amet, consectetur adipiscing elit</p>\n'.repeat(rng.range(2, 40))}</body></html>\n`;
  return goJson({
    ...base,
    ...located,
    scheme: service.scheme,
    url: `${origin}/`,
    path,
    'matched-at': `${origin}${path}`,
    ...(extracted.length > 0 ? { 'extracted-results': extracted } : {}),
    request: `GET ${path} HTTP/1.1\r\nHost: ${host.name}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nConnection: close\r\nAccept: */*\r\nAccept-Language: en\r\nAccept-Encoding: gzip\r\n\r\n`,
    response: `HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: text/html; charset=utf-8\r\nServer: ${host.server}\r\nSet-Cookie: PHPSESSID=${rng.u32().toString(16)}; path=/\r\n\r\n${body}`,
    ip: host.ip,
    timestamp,
    'curl-command': `curl -X 'GET' -H 'Accept: */*' -H 'User-Agent: Mozilla/5.0' '${origin}${path}'`,
    'matcher-status': true,
  });
}

/**
 * Writes Nuclei JSON Lines of about `bytes` bytes (never more) to `path`, and returns how many findings
 * q2h counts in it and on how many assets (IP addresses, plus the names of hosts with DNS results).
 * Same seed and size: the same file.
 */
export async function generateNuclei(
  path: string,
  bytes: number,
  seed = 1,
): Promise<{ findings: number; hosts: number }> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const out = createWriteStream(path, { highWaterMark: 4 << 20 });
  const catalog: Template[] = [];
  const cve = (i: number) => (catalog[i] ??= cveTemplate(seed, i));

  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  let written = 0;
  const write = async (text: string, length: number) => {
    if (used + length > buffer.length) {
      if (used > 0 && !out.write(buffer.subarray(0, used))) await once(out, 'drain');
      buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, length));
      used = 0;
    }
    used += buffer.write(text, used);
    written += length;
  };

  let findings = 0;
  let hosts = 0;
  let at = SCAN_START;
  let full = false;
  for (let h = 0; !full; h++) {
    const host = hostOf(seed, h);
    const rng = new Rng(seed, D_RESULTS, h);
    let onIp = false;
    let onName = false;
    for (const pick of picksOf(host, rng, cve)) {
      let text = '';
      for (let n = 0; n < pick.results; n++) {
        at += rng.range(1, 400);
        text += `${resultLine(pick, n, host, rng, at)}\n`;
      }
      const length = Buffer.byteLength(text);
      if (written + length > bytes) {
        full = true;
        break;
      }
      await write(text, length);
      findings++;
      if (pick.service) onIp = true;
      else onName = true;
    }
    hosts += Number(onIp) + Number(onName);
  }

  out.end(buffer.subarray(0, used));
  await finished(out);
  return { findings, hosts };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

runGeneratorCli(
  import.meta.url,
  'bench/src/generate-nuclei.ts --size 200MB --out bench/out/nuclei-200mb.jsonl',
  generateNuclei,
);
