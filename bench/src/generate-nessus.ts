/**
 * Streaming generator of realistic Nessus .nessus v2 XML exports (fictional data) for the ingest benchmark.
 *
 * Layout (as shared/fixtures/scans/nessus/nessus_v_unknown.xml): XML declaration, <NessusClientData_v2>,
 * a small <Policy>, then one <Report> of <ReportHost>s, each with its <HostProperties> (host-ip,
 * host-fqdn, netbios-name, operating-system, HOST_START/HOST_END with their _TIMESTAMP twins…) and its
 * <ReportItem>s. A host carries the informational items Nessus always writes (scan information, OS
 * identification, a SYN scanner and service detection item per open port…) and items drawn from a
 * catalog of a few thousand plugins (local checks for its OS, checks of its services), with multi-line
 * plugin_output that needs escaping. Every item is a distinct host × plugin × port × protocol, so the
 * returned `findings` is exactly what q2h counts.
 *
 * One pass: hosts are drawn from seeded PRNGs one at a time and written in ~1 MiB chunks with
 * backpressure until the next host would pass the target size. Memory holds the plugin catalog and one
 * host, whatever the file size; a seed and size give a byte-identical file.
 *
 * CLI: node --import tsx bench/src/generate-nessus.ts --size 200MB --out bench/out/nessus-200mb.nessus [--seed 1]
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Rng } from './generate-scan-report.ts';
import { runGeneratorCli } from './generator-cli.ts';

/** Plugins in the drawn catalog (besides the always-present informational ones). */
const CATALOG_SIZE = 3000;
const CHUNK_BYTES = 2 ** 20;
const SCAN_START = Date.UTC(2026, 10, 23, 21, 0, 0) / 1000;

// PRNG domains: one independent stream per (domain, index).
const D_PLUGIN = 11;
const D_HOST = 12;

// ---------------------------------------------------------------------------------------------
// Vocabulary (fictional, loosely modelled on real Nessus plugin texts)
// ---------------------------------------------------------------------------------------------

interface Service {
  svc: string;
  protocol: 'tcp' | 'udp';
  ports: readonly number[];
  products: readonly string[];
  family: string;
}

const SERVICES: readonly Service[] = [
  {
    svc: 'www',
    protocol: 'tcp',
    ports: [80, 8080, 8000],
    products: ['Apache HTTP Server', 'nginx', 'Microsoft IIS', 'Apache Tomcat'],
    family: 'Web Servers',
  },
  {
    svc: 'www',
    protocol: 'tcp',
    ports: [443, 8443],
    products: ['Apache HTTP Server', 'nginx', 'Microsoft IIS', 'Jenkins'],
    family: 'Web Servers',
  },
  { svc: 'ssh', protocol: 'tcp', ports: [22], products: ['OpenSSH', 'Dropbear SSH'], family: 'Misc.' },
  {
    svc: 'mysql',
    protocol: 'tcp',
    ports: [3306],
    products: ['MySQL Server', 'MariaDB'],
    family: 'Databases',
  },
  { svc: 'postgresql', protocol: 'tcp', ports: [5432], products: ['PostgreSQL'], family: 'Databases' },
  { svc: 'mssql', protocol: 'tcp', ports: [1433], products: ['Microsoft SQL Server'], family: 'Databases' },
  {
    svc: 'smtp',
    protocol: 'tcp',
    ports: [25, 587],
    products: ['Postfix', 'Exim', 'Microsoft Exchange Server'],
    family: 'SMTP problems',
  },
  { svc: 'dns', protocol: 'udp', ports: [53], products: ['ISC BIND', 'dnsmasq'], family: 'DNS' },
  { svc: 'snmp', protocol: 'udp', ports: [161], products: ['Net-SNMP'], family: 'SNMP' },
  {
    svc: 'cifs',
    protocol: 'tcp',
    ports: [445],
    products: ['Microsoft Windows SMB', 'Samba'],
    family: 'Windows',
  },
  { svc: 'msrdp', protocol: 'tcp', ports: [3389], products: ['Microsoft Remote Desktop'], family: 'Windows' },
  {
    svc: 'ldap',
    protocol: 'tcp',
    ports: [389, 636],
    products: ['OpenLDAP', 'Microsoft Active Directory'],
    family: 'Misc.',
  },
  { svc: 'ntp', protocol: 'udp', ports: [123], products: ['NTP Server'], family: 'Misc.' },
];
const LINUX_SERVICES = [0, 1, 2, 3, 4, 6, 7, 8, 11, 12];
const WINDOWS_SERVICES = [0, 1, 5, 6, 9, 10, 11, 12];

type OsKind = 'windows' | 'linux';
const OPERATING_SYSTEMS: readonly { os: string; kind: OsKind }[] = [
  { os: 'Microsoft Windows Server 2019 Standard', kind: 'windows' },
  { os: 'Microsoft Windows Server 2022 Datacenter', kind: 'windows' },
  { os: 'Microsoft Windows 11 Enterprise', kind: 'windows' },
  { os: 'Linux Kernel 5.15.0-105-generic on Ubuntu 22.04', kind: 'linux' },
  { os: 'Red Hat Enterprise Linux 9.3', kind: 'linux' },
  { os: 'Debian Linux 12.5', kind: 'linux' },
];
const OS_WEIGHTS = [14, 8, 6, 14, 10, 6];

const LINUX_PACKAGES = [
  'openssl',
  'glibc',
  'curl',
  'openssh',
  'sudo',
  'systemd',
  'bind9',
  'nginx',
  'php8.1',
  'python3',
  'libxml2',
  'expat',
  'sqlite3',
  'krb5',
  'samba',
  'polkit',
  'nss',
  'postgresql-15',
  'tomcat9',
  'gnutls28',
  'libssh',
  'libtiff',
  'cups',
  'rsync',
  'xz-utils',
  'grub2',
  'containerd',
  'runc',
  'nodejs',
  'golang-1.21',
  'ruby3.1',
  'haproxy',
  'squid',
  'libwebp',
  'ghostscript',
  'imagemagick',
];
const WINDOWS_COMPONENTS = [
  'Windows Kernel',
  'Win32k',
  'Windows SMB Server',
  'Windows TCP/IP',
  'Windows Print Spooler',
  'Remote Desktop Client',
  'Windows Hyper-V',
  'Windows LDAP',
  'Windows Common Log File System Driver',
  'Windows Kerberos',
  'Windows NTLM',
  'Microsoft Message Queuing',
  'Windows Graphics Component',
  'Windows Installer',
];
const WINDOWS_APPS = [
  'Google Chrome',
  'Mozilla Firefox',
  'Oracle Java SE',
  'Adobe Acrobat Reader',
  '7-Zip',
  'Notepad++',
  'Zoom Client for Meetings',
  'VLC Media Player',
  'VMware Tools',
  'Wireshark',
  'PuTTY',
  'Microsoft Edge (Chromium)',
];
const ISSUES = [
  'Multiple Vulnerabilities',
  'Remote Code Execution',
  'Denial of Service',
  'Information Disclosure',
  'Privilege Escalation',
  'Security Feature Bypass',
  'Heap-Based Buffer Overflow',
  'Use-After-Free',
  'Directory Traversal',
  'Authentication Bypass',
];
const SSL_ISSUES = [
  'SSL Certificate Cannot Be Trusted',
  'SSL Self-Signed Certificate',
  'SSL Certificate Expiry',
  'TLS Version 1.0 Protocol Detection',
  'TLS Version 1.1 Deprecated Protocol',
  'SSL Medium Strength Cipher Suites Supported (SWEET32)',
  'SSL RC4 Cipher Suites Supported (Bar Mitzvah)',
  "SSL Certificate 'commonName' Mismatch",
  'SSL Certificate Signed Using Weak Hashing Algorithm',
  'SSH Terrapin Prefix Truncation Weakness',
];
const SENTENCES = [
  'According to its self-reported version number, the installed software is affected by the issues listed below.',
  'A remote, unauthenticated attacker can exploit this issue by sending a specially crafted request, which can cause the affected service to crash or execute arbitrary code.',
  'An authenticated local user can leverage this flaw to gain elevated privileges on the host.',
  "Note that Nessus has not tested for these issues but has instead relied only on the application's self-reported version number.",
  'The flaw is due to improper validation of user-supplied input when parsing malformed headers & trailers (e.g. <Content-Length> values).',
  'Successful exploitation could allow the attacker to read sensitive files, including configuration files containing credentials.',
  'The vendor has acknowledged the issue and released updates for all supported branches; older branches are no longer maintained.',
  'This vulnerability was reported through a coordinated disclosure process — see the vendor advisory for details (réf. « avis de sécurité »).',
  'Exploit code is publicly available and the issue is known to be exploited in the wild.',
  'The remote service accepts connections encrypted using protocols or ciphers that are considered weak by current standards.',
];
const SOLUTIONS = [
  'Upgrade to version {fixed} or later.',
  'Apply the vendor-supplied patch referenced in the advisory.',
  'Update the affected packages.',
  'Apply the security update for {month} {year}, or apply the cumulative update that supersedes it.',
  'Reconfigure the affected service to disable the weak protocol or cipher suites.',
  'Restrict access to the service to trusted hosts, and upgrade when possible.',
];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_ABBREVIATIONS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

// ---------------------------------------------------------------------------------------------
// XML text
// ---------------------------------------------------------------------------------------------

function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const element = (name: string, text: string): string => `<${name}>${esc(text)}</${name}>\n`;

/** "Mon Nov 23 21:04:11 2026", as .nessus writes HOST_START / HOST_END (the scanner's local time, here UTC). */
function nessusDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTH_ABBREVIATIONS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

// ---------------------------------------------------------------------------------------------
// Plugin catalog
// ---------------------------------------------------------------------------------------------

interface Plugin {
  id: number;
  severity: number;
  /** Index in SERVICES for a check of a service, undefined for a host-level check (port 0). */
  service: number | undefined;
  /** Host-level local checks only apply to their OS. */
  os: OsKind | undefined;
  /** The ReportItem attributes after protocol, and its escaped child elements but plugin_output. */
  attributes: string;
  body: string;
  /** Lines the plugin_output of this plugin starts with (already specific to the plugin). */
  outputHead: string;
}

const RISK = ['None', 'Low', 'Medium', 'High', 'Critical'];

function sentences(rng: Rng, min: number, max: number): string {
  const count = rng.range(min, max);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(rng.pick(SENTENCES));
  return out.join(rng.chance(0.5) ? '\n\n' : ' ');
}

function scores(rng: Rng, severity: number): string {
  if (severity === 0) return '';
  const base = Math.min(10, severity * 2.2 + rng.next() * 1.6).toFixed(1);
  const impact = severity >= 3 ? 'H' : 'L';
  let out =
    element('cvss_base_score', base) +
    element('cvss_vector', `CVSS2#AV:N/AC:${rng.pick(['L', 'M'])}/Au:N/C:P/I:P/A:${rng.pick(['N', 'P'])}`);
  if (rng.chance(0.8)) {
    out +=
      element('cvss3_base_score', base) +
      element(
        'cvss3_vector',
        `CVSS:3.1/AV:${rng.pick(['N', 'L'])}/AC:L/PR:N/UI:N/S:U/C:${impact}/I:${impact}/A:${rng.pick(['H', 'N'])}`,
      );
  }
  if (rng.chance(0.25)) {
    out +=
      element('cvss4_base_score', base) +
      element(
        'cvss4_vector',
        `CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:${impact}/VI:${impact}/VA:N/SC:N/SI:N/SA:N`,
      );
  }
  return out;
}

function makePlugin(seed: number, index: number): Plugin {
  const rng = new Rng(seed, D_PLUGIN, index);
  const id = 100_000 + index * 50 + rng.int(50);
  const kind = rng.weighted(['local', 'service', 'ssl', 'info'], [50, 25, 10, 15]);
  const year = 2020 + rng.int(7);
  const month = MONTHS[rng.int(12)]!;
  const fixed = `${rng.range(1, 12)}.${rng.int(20)}.${rng.int(40)}`;
  let severity = rng.weighted([1, 2, 3, 4], [10, 40, 35, 15]);
  let service: number | undefined;
  let os: OsKind | undefined;
  let name: string;
  let family: string;
  let outputHead: string;

  if (kind === 'local') {
    os = rng.chance(0.45) ? 'windows' : 'linux';
    if (os === 'windows') {
      const app = rng.chance(0.4) ? rng.pick(WINDOWS_APPS) : undefined;
      family = app ? 'Windows' : 'Windows : Microsoft Bulletins';
      name = app
        ? `${app} < ${fixed} ${rng.pick(ISSUES)}`
        : `KB50${rng.range(10000, 99999)}: ${rng.pick(WINDOWS_COMPONENTS)} Security Update (${month} ${year})`;
      outputHead = app
        ? `\n  Path              : C:\\Program Files\\${app}\\\n  Installed version : ${fixed.replace(/\d+$/, '0')}\n  Fixed version     : ${fixed}\n`
        : `\nThe remote host is missing one of the following rollup KBs :\n  - KB50${rng.range(10000, 99999)}\n\n  - C:\\Windows\\system32\\ntoskrnl.exe has not been patched.\n    Remote version : 10.0.17763.${rng.range(1000, 5000)}\n    Should be      : 10.0.17763.${rng.range(5001, 6000)}\n`;
    } else {
      const pkg = rng.pick(LINUX_PACKAGES);
      family = rng.pick([
        'Ubuntu Local Security Checks',
        'Red Hat Local Security Checks',
        'Debian Local Security Checks',
      ]);
      name = `${rng.pick(['Ubuntu 22.04 LTS', 'RHEL 9', 'Debian 12'])} : ${pkg} ${rng.pick(['vulnerabilities', 'security update', 'regression'])} (${rng.pick(['USN', 'RHSA', 'DSA'])}-${year}:${rng.range(1000, 9999)})`;
      outputHead = `\n  - Installed package : ${pkg}_${fixed.replace(/\d+$/, '0')}-1ubuntu0.1\n  - Fixed package     : ${pkg}_${fixed}-1ubuntu0.2\n`;
    }
  } else if (kind === 'info') {
    severity = 0;
    service = rng.chance(0.6) ? rng.int(SERVICES.length) : undefined;
    const product = service === undefined ? rng.pick(WINDOWS_APPS) : rng.pick(SERVICES[service]!.products);
    family = service === undefined ? 'General' : 'Service detection';
    name = `${product} ${rng.pick(['Detection', 'Version Detection', 'Installed', 'Configuration Enumeration'])}`;
    outputHead = `\n  Product : ${product}\n  Version : ${fixed}\n`;
  } else {
    service = kind === 'ssl' ? rng.pick([1, 1, 1, 5, 6, 10, 11]) : rng.int(SERVICES.length);
    const target = SERVICES[service]!;
    family = kind === 'ssl' ? 'General' : target.family;
    const product = rng.pick(target.products);
    name =
      kind === 'ssl'
        ? `${rng.pick(SSL_ISSUES)}${rng.pick(['', ' (remote check)', ' (STARTTLS)'])}`
        : `${product} < ${fixed} ${rng.pick(ISSUES)}`;
    outputHead =
      kind === 'ssl'
        ? '\nThe following certificate was at the top of the certificate chain sent by the remote host :\n\n'
        : `\n  URL               : /\n  Installed version : ${fixed.replace(/\d+$/, '0')}\n  Fixed version     : ${fixed}\n`;
  }

  const cves: string[] = [];
  if (severity > 0 && kind !== 'ssl') {
    let cve = rng.range(1000, 48000);
    for (let n = rng.int(severity * 6); n > 0; n--) {
      cve += rng.range(1, 40);
      cves.push(`CVE-${year}-${cve}`);
    }
  }
  const solution = rng
    .pick(SOLUTIONS)
    .replace('{fixed}', fixed)
    .replace('{month}', month)
    .replace('{year}', String(year));
  const seeAlso = Array.from(
    { length: rng.range(1, 3) },
    () => `https://www.tenable.test/advisories/${rng.range(10000, 99999)}`,
  );
  const body =
    cves.map((cve) => element('cve', cve)).join('') +
    scores(rng, severity) +
    element('description', sentences(rng, 2, severity === 0 ? 3 : 8)) +
    (cves.length > 0 && rng.chance(0.7) ? element('epss_score', (rng.next() * 0.97).toFixed(4)) : '') +
    element('fname', `plugin_${id}.nasl`) +
    element(
      'plugin_modification_date',
      `${year}/${String(rng.range(1, 12)).padStart(2, '0')}/${String(rng.range(1, 28)).padStart(2, '0')}`,
    ) +
    element('plugin_name', name) +
    element('plugin_type', kind === 'local' ? 'local' : 'remote') +
    element('risk_factor', RISK[severity]!) +
    element('script_version', `1.${rng.range(1, 40)}`) +
    element('see_also', seeAlso.join('\n')) +
    element('solution', severity === 0 ? 'n/a' : solution) +
    element(
      'synopsis',
      severity === 0
        ? `It is possible to obtain information about ${name}.`
        : `The remote host is affected by ${name}.`,
    ) +
    (cves.length > 0
      ? `<xref>IAVA:${year}-A-${rng.range(100, 999)}</xref>\n<xref>CWE:${rng.range(20, 900)}</xref>\n`
      : '');
  return {
    id,
    severity,
    service,
    os,
    attributes: `severity="${severity}" pluginID="${id}" pluginName="${esc(name)}" pluginFamily="${esc(family)}"`,
    body,
    outputHead,
  };
}

/** The informational plugins Nessus reports on (nearly) every host, with their real IDs. */
const HOST_INFO = [
  { id: 19506, name: 'Nessus Scan Information', family: 'Settings' },
  { id: 11936, name: 'OS Identification', family: 'General' },
  { id: 45590, name: 'Common Platform Enumeration (CPE)', family: 'General' },
  { id: 54615, name: 'Device Type', family: 'General' },
  { id: 12053, name: 'Host Fully Qualified Domain Name (FQDN) Resolution', family: 'General' },
  { id: 25220, name: 'TCP/IP Timestamps Supported', family: 'General' },
] as const;

const SYN_SCANNER = { id: 11219, name: 'Nessus SYN scanner', family: 'Port scanners' };
const SERVICE_DETECTION = { id: 22964, name: 'Service Detection', family: 'Service detection' };
const EVIDENCE_LABELS = ['Request', 'Response', 'Path', 'Banner', 'Evidence'];
const EVIDENCE = [
  'GET /index.php?id=1&debug=<true> HTTP/1.1',
  'Host: {host}',
  '/usr/lib/x86_64-linux-gnu/libssl.so.3',
  'Server: nginx/1.24.0',
  'HTTP/1.1 200 OK "ok"',
];

interface Catalog {
  plugins: Plugin[];
  /** Host-level checks by OS, service checks by service index. */
  local: Record<OsKind, Plugin[]>;
  byService: Plugin[][];
}

function buildCatalog(seed: number): Catalog {
  const plugins = Array.from({ length: CATALOG_SIZE }, (_, i) => makePlugin(seed, i));
  const local: Record<OsKind, Plugin[]> = { windows: [], linux: [] };
  const byService: Plugin[][] = SERVICES.map(() => []);
  for (const plugin of plugins) {
    if (plugin.service !== undefined) byService[plugin.service]!.push(plugin);
    else if (plugin.os) local[plugin.os].push(plugin);
    else {
      local.windows.push(plugin);
      local.linux.push(plugin);
    }
  }
  return { plugins, local, byService };
}

// ---------------------------------------------------------------------------------------------
// Hosts
// ---------------------------------------------------------------------------------------------

interface OpenPort {
  service: number;
  port: number;
}

function item(
  port: number,
  svc: string,
  protocol: string,
  attributes: string,
  body: string,
  output: string,
): string {
  return `<ReportItem port="${port}" svc_name="${svc}" protocol="${protocol}" ${attributes}>\n${body}${element('plugin_output', output)}</ReportItem>\n`;
}

function infoItem(
  port: number,
  svc: string,
  protocol: string,
  plugin: { id: number; name: string; family: string },
  output: string,
): string {
  return item(
    port,
    svc,
    protocol,
    `severity="0" pluginID="${plugin.id}" pluginName="${esc(plugin.name)}" pluginFamily="${plugin.family}"`,
    element('description', `This plugin reports ${plugin.name.toLowerCase()}.`) +
      element('plugin_name', plugin.name) +
      element('risk_factor', 'None') +
      element('solution', 'n/a') +
      element('synopsis', `${plugin.name}.`),
    output,
  );
}

/** One ReportHost as XML, with its number of ReportItems (all distinct plugin × port × protocol). */
function hostXml(catalog: Catalog, seed: number, index: number): { xml: string; items: number } {
  const rng = new Rng(seed, D_HOST, index);
  const system = rng.weighted(OPERATING_SYSTEMS, OS_WEIGHTS);
  // 254 hosts per /24, no network or broadcast address.
  const subnet = Math.floor(index / 254);
  const ip = `10.${(subnet >> 8) & 255}.${subnet & 255}.${(index % 254) + 1}`;
  const hostName = `${system.kind === 'windows' ? 'win' : 'lnx'}-${index.toString(36).padStart(4, '0')}`;
  const fqdn = `${hostName}.${rng.pick(['lyon', 'paris', 'zurich', 'nyc', 'munich'])}.corp.example.test`;
  const start = SCAN_START + index * 7 + rng.int(600);
  const end = start + rng.range(120, 3600);

  const candidates = system.kind === 'windows' ? WINDOWS_SERVICES : LINUX_SERVICES;
  const open: OpenPort[] = [];
  for (const service of candidates) {
    if (!rng.chance(service === candidates[0] ? 0.7 : 0.3)) continue;
    const ports = SERVICES[service]!.ports;
    for (const port of ports.slice(0, rng.range(1, ports.length))) open.push({ service, port });
  }

  const properties = [
    ['HOST_END_TIMESTAMP', String(end)],
    ['HOST_END', nessusDate(end)],
    ['operating-system', system.os],
    ['system-type', 'general-purpose'],
    ['mac-address', `00:50:56:${[0, 0, 0].map(() => rng.int(256).toString(16).padStart(2, '0')).join(':')}`],
    ['host-fqdn', fqdn],
    ['host-ip', ip],
    ...(system.kind === 'windows' ? [['netbios-name', hostName.toUpperCase()]] : []),
    ['traceroute-hop-0', '10.0.0.1'],
    ['traceroute-hop-1', ip],
    ['HOST_START_TIMESTAMP', String(start)],
    ['HOST_START', nessusDate(start)],
  ];
  const xml = [
    `<ReportHost name="${ip}"><HostProperties>\n${properties.map(([name, value]) => `<tag name="${name}">${esc(value!)}</tag>\n`).join('')}</HostProperties>\n`,
  ];
  let items = 0;
  const add = (reportItem: string) => {
    xml.push(reportItem);
    items++;
  };

  for (const plugin of HOST_INFO) {
    const output =
      plugin.id === 19506
        ? `Information about this scan : \n\nNessus version : 10.8.3\nPlugin feed version : 202611230412\nScanner IP : 10.0.0.5\nPort scanner(s) : nessus_syn_scanner \nScan Start Date : ${nessusDate(start)}\nScan duration : ${end - start} sec\n`
        : plugin.id === 11936
          ? `\nRemote operating system : ${system.os}\nConfidence level : ${rng.range(70, 100)}\nMethod : ${rng.pick(['SMB', 'SSH', 'SinFP', 'HTTP'])}\n`
          : `\n${plugin.name} : ${plugin.id === 12053 ? `${ip} resolves as ${fqdn}.` : 'yes'}\n`;
    add(infoItem(0, 'general', 'tcp', plugin, output));
  }
  for (const { service, port } of open) {
    const { svc, protocol } = SERVICES[service]!;
    if (protocol === 'tcp')
      add(infoItem(port, svc, protocol, SYN_SCANNER, `Port ${port}/tcp was found to be open`));
    const tls = port === 443 || port === 8443 || port === 636 ? ' through TLSv1.2' : '';
    add(infoItem(port, svc, protocol, SERVICE_DETECTION, `A ${svc} server is running on this port${tls}.`));
  }

  // A heavy tail: most hosts have a few dozen items, some several hundred.
  const drawn = Math.min(600, Math.floor(-Math.log(1 - rng.next()) * 28));
  const seen = new Set<string>();
  for (let i = 0; i < drawn; i++) {
    const at = open.length > 0 && rng.chance(0.3) ? rng.pick(open) : undefined;
    const pool = at ? catalog.byService[at.service]! : catalog.local[system.kind];
    if (pool.length === 0) continue;
    const plugin = rng.pick(pool);
    const port = at?.port ?? 0;
    const key = `${plugin.id}|${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const svc = at ? SERVICES[at.service]!.svc : 'general';
    const protocol = at ? SERVICES[at.service]!.protocol : 'tcp';
    const details = Array.from(
      { length: rng.range(0, 6) },
      () => `  ${rng.pick(EVIDENCE_LABELS)} : ${rng.pick(EVIDENCE).replace('{host}', `${fqdn}:${port}`)}`,
    ).join('\n');
    add(item(port, svc, protocol, plugin.attributes, plugin.body, `${plugin.outputHead}${details}\n`));
  }
  xml.push('</ReportHost>\n');
  return { xml: xml.join(''), items };
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const HEAD =
  '<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Policy><policyName>Benchmark Internal Network Scan</policyName>\n' +
  '<Preferences><ServerPreferences><preference><name>max_simult_tcp_sessions</name>\n<value>unlimited</value>\n</preference>\n' +
  '</ServerPreferences></Preferences></Policy>\n<Report name="q2h benchmark" xmlns:cm="http://www.nessus.org/cm">\n';
const TAIL = '</Report>\n</NessusClientData_v2>\n';

/** Writes ~1 MiB Buffers, waiting for 'drain' when the stream's buffer is full. */
class ChunkedWriter {
  private parts: Buffer[] = [];
  private pending = 0;
  private failure: unknown;

  constructor(private readonly stream: Writable) {
    stream.on('error', (error) => {
      this.failure = error;
    });
  }

  async write(part: Buffer): Promise<void> {
    this.parts.push(part);
    this.pending += part.length;
    if (this.pending >= CHUNK_BYTES) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    const chunk = Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
}

/**
 * Writes a .nessus file of at most `bytes` (at least one host), drawn from `seed`. Returns the number of
 * ReportItems (= q2h findings, all keys distinct) and of hosts.
 */
export async function generateNessus(
  path: string,
  bytes: number,
  seed = 1,
): Promise<{ findings: number; hosts: number }> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const catalog = buildCatalog(seed);
  const writer = new ChunkedWriter(createWriteStream(path));
  const head = Buffer.from(HEAD);
  const tail = Buffer.from(TAIL);
  await writer.write(head);
  let written = head.length;
  let findings = 0;
  let hosts = 0;
  for (;;) {
    const host = hostXml(catalog, seed, hosts);
    const xml = Buffer.from(host.xml);
    if (hosts > 0 && written + xml.length + tail.length > bytes) break;
    await writer.write(xml);
    written += xml.length;
    findings += host.items;
    hosts++;
  }
  await writer.write(tail);
  await writer.end();
  return { findings, hosts };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

runGeneratorCli(
  import.meta.url,
  'bench/src/generate-nessus.ts --size 200MB --out bench/out/nessus-200mb.nessus',
  generateNessus,
);
