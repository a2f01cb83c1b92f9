/**
 * Streaming generator of realistic Qualys VM "Scan Report" CSV exports (fictional data).
 *
 * Layout (same as shared/fixtures/scans/qualys_scan_report/scan_report_4_hosts.csv): report line,
 * company line, user line, asset-group table, totals table, per-IP summary, then the detail table
 * whose header starts "IP","DNS","NetBIOS". CRLF record ends, LF inside multi-line quoted fields,
 * every field quoted, quotes doubled, some non-ASCII text.
 *
 * Two passes driven by the same seeded PRNGs:
 *  1. plan: hosts and their detail rows are drawn (as small descriptors, never serialized) until the
 *     target size is reached, so the preamble (declared total, severity/status counts, per-IP summary,
 *     average risk) is known exactly before anything is written;
 *  2. write: the same hosts and rows are drawn again and serialized in ~1 MiB chunks, written with
 *     backpressure. Memory is O(catalog + hosts), independent of the file size.
 *
 * CLI: node --import tsx bench/src/generate-scan-report.ts --size 100MB --out bench/out/report-100mb.csv [--seed 1]
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** The detail table header, copied from the fixture (38 columns). */
export const DETAIL_HEADER = [
  'IP',
  'DNS',
  'NetBIOS',
  'QG Host ID',
  'Tracking Method',
  'OS',
  'IP Status',
  'QID',
  'Title',
  'Vuln Status',
  'Type',
  'Severity',
  'Port',
  'Protocol',
  'FQDN',
  'SSL',
  'First Detected',
  'Last Detected',
  'Times Detected',
  'Date Last Fixed',
  'CVE ID',
  'Vendor Reference',
  'Bugtraq ID',
  'CVSS Base',
  'CVSS Temporal',
  'CVSS3.1 Base',
  'CVSS3.1 Temporal',
  'Threat',
  'Impact',
  'Solution',
  'Exploitability',
  'Associated Malware',
  'Results',
  'PCI Vuln',
  'Ticket State',
  'Instance',
  'OS CPE',
  'Category',
] as const;

/** Records before the detail rows that are not blank lines: 3 header lines, AG header+row, totals header+row, per-IP header, detail header. */
export const PREAMBLE_FIXED_RECORDS = 9;
/** Blank lines in the preamble (CRLF only). */
export const PREAMBLE_BLANK_LINES = 5;

export interface ScanReportOptions {
  /** Approximate size of the file in bytes (the result is within one detail row of it). */
  targetBytes: number;
  /** PRNG seed; same seed and size give a byte-identical file. Default 1. */
  seed?: number;
  /** Number of distinct QIDs in the catalog the rows draw from. Default 3000. */
  catalogSize?: number;
}

export interface GenerateOptions extends ScanReportOptions {
  /**
   * Where to write: a file path (parent folders are created), a Writable (ended when done),
   * or nothing, in which case the CSV is returned as `text` (small files only).
   */
  out?: string | Writable;
}

export interface PerIpSummary {
  ip: string;
  vulns: number;
  /** Security Risk as printed (mean severity of the host's detail rows, one decimal). */
  risk: string;
}

export interface ScanReportPlan {
  seed: number;
  targetBytes: number;
  /** Detail rows; equals declaredTotal. */
  rows: number;
  /** Hosts (= per-IP summary lines = "Active Hosts"). */
  hosts: number;
  /** Distinct QIDs appearing in the detail rows. */
  qids: number;
  catalogQids: number;
  /** Exact size of the file in bytes. */
  bytes: number;
  declaredTotal: number;
  activeHosts: number;
  /** Average Security Risk as printed: mean of the per-IP risks, one decimal. */
  avgRisk: string;
  /** Detail rows by severity, index 0 = severity 1 … index 4 = severity 5. */
  bySeverity: [number, number, number, number, number];
  byStatus: { New: number; Active: number; 'Re-Opened': number; Fixed: number };
  /** Total CSV records in the file, blank lines excluded. */
  records: number;
  perIp: PerIpSummary[];
}

export interface GenerateResult extends ScanReportPlan {
  seconds: number;
  /** The CSV text, only when no `out` was given. */
  text?: string;
}

// ---------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through a splitmix-style hash, one independent stream per (domain, index)
// ---------------------------------------------------------------------------------------------

function mix32(x: number): number {
  let h = (x + 0x9e3779b9) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const D_CATALOG = 1;
const D_QID_META = 2;
const D_HOST = 3;
const D_IPS = 4;
const D_QID_TEXT = 5;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, domain = 0, index = 0) {
    this.a = mix32(seed ^ mix32(domain * 0x632be5ab));
    this.b = mix32(this.a ^ mix32(index + 0x1234567));
    this.c = mix32(this.b ^ 0x5bd1e995);
    this.d = mix32(this.c + index);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(arr: readonly T[]): T {
    return arr[this.int(arr.length)]!;
  }

  /** Pick by weights (parallel arrays). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i]!;
      if (r < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }
}

// ---------------------------------------------------------------------------------------------
// CSV helpers
// ---------------------------------------------------------------------------------------------

/** Quote one field, doubling quotes. */
export function q(s: string): string {
  return '"' + (s.includes('"') ? s.replaceAll('"', '""') : s) + '"';
}

function csvLine(fields: readonly string[]): string {
  return fields.map(q).join(',') + '\r\n';
}

function utf8(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

/** "MM/DD/YYYY HH:MM:SS" for an epoch in seconds (printed as-is, the report's local time). */
function fmtDate(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return (
    pad2(d.getUTCMonth() + 1) +
    '/' +
    pad2(d.getUTCDate()) +
    '/' +
    d.getUTCFullYear() +
    ' ' +
    pad2(d.getUTCHours()) +
    ':' +
    pad2(d.getUTCMinutes()) +
    ':' +
    pad2(d.getUTCSeconds())
  );
}

function ipToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function fill(template: string, ctx: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_m, k: string) => ctx[k] ?? k);
}

// ---------------------------------------------------------------------------------------------
// Vocabulary (fictional, loosely modelled on real Qualys KnowledgeBase texts)
// ---------------------------------------------------------------------------------------------

const REPORT_EPOCH = Date.UTC(2026, 10, 20, 9, 12, 45) / 1000; // printed as local time (GMT+0100)
const DAY = 86400;
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

type Platform = 'win' | 'rhel' | 'ubuntu' | 'debian' | 'suse' | 'oel' | 'amzn' | 'any';
type Family = 'winPatch' | 'winApp' | 'linux' | 'network' | 'ssl' | 'ig';

interface OsDef {
  os: string;
  cpe: string;
  platform: Platform;
}

const OS_LIST: readonly OsDef[] = [
  {
    os: 'Windows Server 2019 Datacenter 64 bit Edition Version 1809',
    cpe: 'cpe:/o:microsoft:windows_server_2019:::x64',
    platform: 'win',
  },
  {
    os: 'Windows Server 2019 Standard 64 bit Edition Version 1809',
    cpe: 'cpe:/o:microsoft:windows_server_2019:::x64',
    platform: 'win',
  },
  {
    os: 'Windows Server 2016 Standard 64 bit Edition Version 1607',
    cpe: 'cpe:/o:microsoft:windows_server_2016:::x64',
    platform: 'win',
  },
  {
    os: 'Windows Server 2022 Standard 64 bit Edition Version 21H2',
    cpe: 'cpe:/o:microsoft:windows_server_2022:::x64',
    platform: 'win',
  },
  {
    os: 'Windows Server 2022 Datacenter 64 bit Edition Version 21H2',
    cpe: 'cpe:/o:microsoft:windows_server_2022:::x64',
    platform: 'win',
  },
  {
    os: 'Windows 10 Enterprise 64 bit Edition Version 22H2',
    cpe: 'cpe:/o:microsoft:windows_10:22h2::x64',
    platform: 'win',
  },
  {
    os: 'Windows 11 Enterprise 64 bit Edition Version 23H2',
    cpe: 'cpe:/o:microsoft:windows_11:23h2::x64',
    platform: 'win',
  },
  {
    os: 'Red Hat Enterprise Linux 8.9',
    cpe: 'cpe:/o:redhat:enterprise_linux:8.9::',
    platform: 'rhel',
  },
  {
    os: 'Red Hat Enterprise Linux 9.3',
    cpe: 'cpe:/o:redhat:enterprise_linux:9.3::',
    platform: 'rhel',
  },
  { os: 'Ubuntu 22.04.4 LTS', cpe: 'cpe:/o:canonical:ubuntu_linux:22.04::', platform: 'ubuntu' },
  { os: 'Ubuntu 20.04.6 LTS', cpe: 'cpe:/o:canonical:ubuntu_linux:20.04::', platform: 'ubuntu' },
  { os: 'Debian GNU/Linux 12.5', cpe: 'cpe:/o:debian:debian_linux:12.5::', platform: 'debian' },
  {
    os: 'SUSE Linux Enterprise Server 15 SP5',
    cpe: 'cpe:/o:suse:linux_enterprise_server:15:sp5:',
    platform: 'suse',
  },
  { os: 'Oracle Linux 8.8', cpe: 'cpe:/o:oracle:linux:8.8::', platform: 'oel' },
  { os: 'Amazon Linux 2023', cpe: 'cpe:/o:amazon:amazon_linux:2023::', platform: 'amzn' },
];
const OS_WEIGHTS = [12, 10, 8, 9, 4, 6, 3, 9, 6, 9, 5, 5, 4, 3, 3];

const WIN_ROLES = ['web', 'app', 'db', 'fs', 'dc', 'ex', 'sql', 'rds', 'wks', 'print', 'sccm', 'iis', 'ctx'];
const LINUX_ROLES = ['lnx', 'web', 'api', 'db', 'k8s', 'kafka', 'redis', 'nginx', 'git', 'ci', 'mon', 'log'];
const SITES: Readonly<Record<number, string>> = {
  20: 'lyon',
  21: 'paris',
  22: 'zurich',
  40: 'munich',
  41: 'saopaulo',
  60: 'nyc',
};
const SITE_OCTETS = [20, 21, 22, 40, 41, 60];

const WIN_COMPONENTS = [
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
  'Microsoft Message Queuing (MSMQ)',
  'Windows Graphics Component',
  'Windows Installer',
  'Windows Defender SmartScreen',
  'Windows DNS Server',
];
const WIN_FILES = [
  'ntoskrnl.exe',
  'win32kfull.sys',
  'srv2.sys',
  'tcpip.sys',
  'localspl.dll',
  'mstscax.dll',
  'vmswitch.sys',
  'wldap32.dll',
  'clfs.sys',
  'kerberos.dll',
  'msv1_0.dll',
  'mqsvc.exe',
  'gdiplus.dll',
  'msi.dll',
  'dns.exe',
];
const WIN_PRODUCTS = [
  'Office',
  'Exchange Server',
  'SQL Server',
  'SharePoint Server',
  'Edge (Chromium-based)',
  '.NET Framework',
  'Visual Studio',
  'Outlook',
  'Excel',
  'Word',
];
const WIN_APPS = [
  {
    name: 'Google Chrome',
    path: '%ProgramFiles%\\Google\\Chrome\\Application\\chrome.exe',
    cat: 'Local',
    adv: 'Chrome Stable Channel Update',
  },
  {
    name: 'Mozilla Firefox',
    path: '%ProgramFiles%\\Mozilla Firefox\\firefox.exe',
    cat: 'Local',
    adv: 'MFSA2026',
  },
  {
    name: 'Oracle Java SE',
    path: '%ProgramFiles%\\Java\\jre1.8.0\\bin\\java.exe',
    cat: 'Local',
    adv: 'Oracle Critical Patch Update',
  },
  {
    name: 'Adobe Acrobat Reader DC',
    path: '%ProgramFiles%\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe',
    cat: 'Office Application',
    adv: 'APSB26',
  },
  {
    name: '7-Zip',
    path: '%ProgramFiles%\\7-Zip\\7z.exe',
    cat: 'Local',
    adv: '7-Zip Release Notes',
  },
  {
    name: 'Notepad++',
    path: '%ProgramFiles%\\Notepad++\\notepad++.exe',
    cat: 'Local',
    adv: 'Notepad++ Security Notice',
  },
  {
    name: 'Zoom Client for Meetings',
    path: '%AppData%\\Zoom\\bin\\Zoom.exe',
    cat: 'Local',
    adv: 'ZSB-26',
  },
  {
    name: 'VLC Media Player',
    path: '%ProgramFiles%\\VideoLAN\\VLC\\vlc.exe',
    cat: 'Local',
    adv: 'VideoLAN-SB-2026',
  },
  {
    name: 'VMware Tools',
    path: '%ProgramFiles%\\VMware\\VMware Tools\\vmtoolsd.exe',
    cat: 'Windows',
    adv: 'VMSA-2026',
  },
  {
    name: 'Wireshark',
    path: '%ProgramFiles%\\Wireshark\\Wireshark.exe',
    cat: 'Local',
    adv: 'wnpa-sec-2026',
  },
  {
    name: 'Microsoft Teams',
    path: '%LocalAppData%\\Microsoft\\Teams\\current\\Teams.exe',
    cat: 'Office Application',
    adv: 'Teams Security Update',
  },
  {
    name: 'PuTTY',
    path: '%ProgramFiles%\\PuTTY\\putty.exe',
    cat: 'Local',
    adv: 'PuTTY vulnerability notice',
  },
];
const LINUX_PKGS = [
  'kernel',
  'openssl',
  'glibc',
  'curl',
  'openssh',
  'sudo',
  'systemd',
  'bind',
  'httpd',
  'nginx',
  'php',
  'python3',
  'perl',
  'git',
  'vim',
  'bash',
  'zlib',
  'libxml2',
  'expat',
  'sqlite',
  'krb5',
  'samba',
  'polkit',
  'dbus',
  'nss',
  'firefox',
  'java-17-openjdk',
  'java-1.8.0-openjdk',
  'postgresql',
  'mariadb',
  'tomcat',
  'gnutls',
  'libssh',
  'libtiff',
  'libpng',
  'freetype',
  'cups',
  'rsync',
  'wget',
  'tar',
  'xz',
  'grub2',
  'linux-firmware',
  'containerd',
  'runc',
  'podman',
  'nodejs',
  'golang',
  'ruby',
  'less',
  'emacs',
  'haproxy',
  'squid',
  'unbound',
  'dnsmasq',
  'libwebp',
  'ghostscript',
  'ImageMagick',
];
const DISTROS: Readonly<
  Record<string, { title: (pkg: string, n: number) => string; cat: string; rel: string }>
> = {
  rhel: {
    title: (p, n) => `Red Hat Update for ${p} (RHSA-2026:${n})`,
    cat: 'RedHat',
    rel: 'el8_9',
  },
  ubuntu: {
    title: (p, n) => `Ubuntu Security Notification for ${p} Vulnerabilities (USN-${n}-1)`,
    cat: 'Ubuntu',
    rel: '0ubuntu0.22.04.1',
  },
  debian: {
    title: (p, n) => `Debian Security Update for ${p} (DSA ${n}-1)`,
    cat: 'Debian',
    rel: 'deb12u1',
  },
  suse: {
    title: (p, n) => `SUSE Enterprise Linux Security Update for ${p} (SUSE-SU-2026:${n}-1)`,
    cat: 'SUSE',
    rel: '150500.3.1',
  },
  oel: {
    title: (p, n) => `Oracle Enterprise Linux Security Update for ${p} (ELSA-2026-${n})`,
    cat: 'OEL',
    rel: '0.1.el8',
  },
  amzn: {
    title: (p, n) => `Amazon Linux Security Advisory for ${p}: ALAS2023-2026-${n}`,
    cat: 'Amazon Linux',
    rel: 'amzn2023',
  },
};
const LINUX_PLATFORMS: readonly Platform[] = ['rhel', 'ubuntu', 'debian', 'suse', 'oel', 'amzn'];
const LINUX_PLATFORM_WEIGHTS = [30, 25, 12, 12, 10, 8];

interface NetProduct {
  name: string;
  ports: readonly number[];
  cat: string;
  banner: string;
}
const NET_PRODUCTS: readonly NetProduct[] = [
  {
    name: 'Apache HTTP Server',
    ports: [80, 443, 8080, 8443],
    cat: 'Web server',
    banner: 'Server: Apache/2.4.{n} (Unix) OpenSSL/3.0.{m}',
  },
  {
    name: 'nginx',
    ports: [80, 443, 8080, 8443, 8000],
    cat: 'Web server',
    banner: 'Server: nginx/1.2{n}.{m}',
  },
  {
    name: 'Microsoft IIS',
    ports: [80, 443, 8080],
    cat: 'Web server',
    banner: 'Server: Microsoft-IIS/10.0\nX-Powered-By: ASP.NET',
  },
  {
    name: 'Apache Tomcat',
    ports: [8080, 8443, 8009],
    cat: 'Web server',
    banner: 'Apache Tomcat/9.0.{n}',
  },
  {
    name: 'OpenSSH',
    ports: [22, 2222],
    cat: 'General remote services',
    banner: 'SSH-2.0-OpenSSH_8.{n}p1',
  },
  { name: 'MySQL Server', ports: [3306], cat: 'Database', banner: '8.0.{n}-community' },
  { name: 'PostgreSQL', ports: [5432], cat: 'Database', banner: 'PostgreSQL 1{n}.{m}' },
  {
    name: 'Microsoft SQL Server',
    ports: [1433],
    cat: 'Database',
    banner: 'Microsoft SQL Server 2019 (RTM-CU2{n}) 15.0.4{m}.2',
  },
  { name: 'Redis', ports: [6379], cat: 'Database', banner: 'redis_version:7.{n}.{m}' },
  {
    name: 'Elasticsearch',
    ports: [9200, 9300],
    cat: 'Web Application',
    banner: '"number" : "8.1{n}.{m}"',
  },
  {
    name: 'Postfix',
    ports: [25, 465, 587],
    cat: 'Mail services',
    banner: '220 mx.example.test ESMTP Postfix',
  },
  {
    name: 'Dovecot',
    ports: [110, 143, 993, 995],
    cat: 'Mail services',
    banner: '* OK [CAPABILITY IMAP4rev1] Dovecot ready.',
  },
  { name: 'ISC BIND', ports: [53], cat: 'DNS and BIND', banner: 'version.bind: 9.1{n}.{m}' },
  { name: 'Net-SNMP', ports: [161], cat: 'SNMP', banner: 'sysDescr.0 = Linux 5.{n}.{m}' },
  { name: 'Samba', ports: [139, 445], cat: 'Windows', banner: 'Samba 4.1{n}.{m}' },
  { name: 'Jenkins', ports: [8080, 8443], cat: 'CGI', banner: 'X-Jenkins: 2.4{n}{m}' },
  {
    name: 'Atlassian Confluence',
    ports: [8090, 443],
    cat: 'Web Application',
    banner: 'Confluence 8.{n}.{m}',
  },
  { name: 'Microsoft Remote Desktop', ports: [3389], cat: 'Windows', banner: 'RDP Protocol 10.{n}' },
];
const UDP_PORTS = new Set([53, 161, 137, 123, 500, 1900]);
const SSL_PORTS = [443, 8443, 636, 993, 995, 465, 3389, 5986, 1433, 9443];
const SSL_PORT_SET = new Set(SSL_PORTS);
const WEB_PORTS = new Set([80, 443, 8080, 8443, 8000, 8090, 9443]);

const SSL_TITLES = [
  'SSL/TLS Server supports TLSv1.0',
  'SSL/TLS Server supports TLSv1.1',
  'SSL Certificate - Self-Signed Certificate',
  'SSL Certificate - Expired',
  'SSL Certificate - Subject Common Name Does Not Match Server FQDN',
  'SSL Certificate - Signature Verification Failed Vulnerability',
  'SSL Server Has SSLv3 Enabled Vulnerability',
  'Birthday attacks against TLS ciphers with 64bit block size vulnerability (Sweet32)',
  'SSL/TLS use of weak RC4 cipher',
  'SSL/TLS Server Diffie-Hellman Key Exchange Using Weak Prime (Logjam)',
  'TLS ROBOT Vulnerability Detected',
  'SSL Certificate - Will Expire Soon',
  'SSL Certificate - Improper Usage Vulnerability',
  'HTTP Strict Transport Security (HSTS) Not Enabled',
];
const SSL_ADJ = [
  '',
  ' on Non-Standard Port',
  ' (Legacy Clients)',
  ' for STARTTLS Services',
  ' - Chain Incomplete',
];
const IG_TITLES = [
  'Operating System Detected',
  'Open TCP Services List',
  'Open UDP Services List',
  'Traceroute',
  'Host Names Found',
  'DNS Host Name',
  'NetBIOS Name Accessible',
  'Firewall Detected',
  'Host Uptime Based on TCP TimeStamp Option',
  'Installed Applications Enumerated From Windows Installer',
  'Windows Registry Key Access Denied',
  'Scan Activity per Port',
  'Degree of Randomness of TCP Initial Sequence Numbers',
  'IP ID Values Randomness',
  'Remote Access or Management Service Detected',
  'ICMP Replies Received',
  'Internet Service Detected',
  'Web Server Version',
  'SSH Banner',
  'Linux Kernel Version',
  'Installed Packages on Unix and Linux Operating Systems',
  'Microsoft Windows Installed Hotfixes',
  'Network Adapter MAC Address',
  'Target Network Information',
  'Authentication Succeeded',
  'Qualys Cloud Agent Version',
  'Default Web Page',
  'Links Crawled',
  'Cookies Collected',
  'SSL Session Caching Information',
];
const IG_CATS = ['Information gathering', 'TCP/IP', 'Firewall', 'Windows', 'General remote services'];
const ISSUES = [
  'Remote Code Execution Vulnerability',
  'Multiple Vulnerabilities',
  'Denial of Service Vulnerability',
  'Information Disclosure Vulnerability',
  'Elevation of Privilege Vulnerability',
  'Security Feature Bypass Vulnerability',
  'Cross-Site Scripting (XSS) Vulnerability',
  'Out-of-Bounds Write Vulnerability',
  'Use-After-Free Vulnerability',
  'Heap-Based Buffer Overflow Vulnerability',
  'Spoofing Vulnerability',
  'Path Traversal Vulnerability',
  'Server-Side Request Forgery (SSRF)',
  'Authentication Bypass Vulnerability',
];
const SHORT_ISSUES = [
  'use-after-free',
  'heap buffer overflow',
  'integer overflow',
  'type confusion',
  'out-of-bounds read',
  'out-of-bounds write',
  'improper input validation',
  'race condition',
  'NULL pointer dereference',
  'improper certificate validation',
  'insecure deserialization',
  'command injection',
  'XML external entity (XXE) injection',
  'improper access control',
];

// Sentence pools. Placeholders: {P} product, {C} component, {V} fixed version, {V0} affected version,
// {ADV} advisory, {CVE} a CVE of the QID, {URL} advisory URL, {PORT} a port, {ISSUE} short issue.
const THREAT_INTRO = [
  '{P} is a widely deployed product used by enterprises, hosting providers and public administrations alike.',
  'A vulnerability exists in the {C} component of {P} versions prior to {V}.',
  '{P} is prone to multiple vulnerabilities, the most severe of which could allow remote code execution.',
  'The vendor has released updates addressing several issues in {P}, including a {ISSUE} in {C}.',
  'This QID reports the absence of the security update for {P}, as described in the vendor’s advisory "{ADV}".',
];
const THREAT_SENTENCES = [
  'An attacker could exploit this issue by sending a specially crafted request, e.g. a "Content-Length" header with a negative value, to the affected service.',
  'The flaw is caused by improper validation of user-supplied input, which can lead to a {ISSUE} in {C}.',
  'Exploitation does not require authentication, and no user interaction is needed when the service listens on port {PORT}.',
  'The issue was reported to the vendor by Zoé Lefèvre and Jürgen Müller; the vendor’s fix was published in {ADV}.',
  'In some configurations, such as those using the "legacy" compatibility mode, the vulnerable code path is reachable remotely.',
  'The vulnerability affects the way {C} handles objects in memory, which may corrupt memory in such a way that an attacker could execute code.',
  'Proof-of-concept code is publicly available, and exploitation in the wild has been observed by several CERTs, including CERT-Bund and the CERT-FR « bulletin ».',
  'Note: the vendor considers the "Exploitation More Likely" assessment accurate for this release, and recommends prompt patching.',
  'Versions {V0} and earlier are affected; the defect was introduced when {C} gained support for extended attributes.',
  'A local attacker with low privileges could leverage this weakness to read arbitrary files, tamper with logs, or escalate to root/SYSTEM.',
  'The component fails to enforce the maximum length of a field, so a long value (over 65,535 bytes) overwrites adjacent heap memory.',
  'According to the vendor’s notes, the naïve fix shipped in {V0} was incomplete, hence this follow-up release.',
];
const THREAT_BLOCKS = [
  'Affected Versions:\n{P} {V0} through {Vm}\n{P} {V0}.x (all builds)',
  'QID Detection Logic (Authenticated):\nThis QID checks the installed version of {P} via the registry or the package manager.\nVersions earlier than {V} are flagged as vulnerable.',
  'QID Detection Logic (Unauthenticated):\nThis QID sends a crafted request to port {PORT} and inspects the "Server" banner returned by {P}.',
  '<P>For more information, please refer to the vendor’s advisory, "{ADV}" ({URL}).<P>',
  'The KB Articles associated with the update:\n{ADV} ({URL})',
];
const IMPACT_SENTENCES = [
  'Successful exploitation allows a remote attacker to execute arbitrary code with SYSTEM privileges.',
  'An unauthenticated attacker could cause a denial of service, crashing the {C} service, or read sensitive data such as session cookies, passwords, and API keys.',
  'Depending on the configuration, the attacker may be able to escalate privileges, move laterally, and persist on the host.',
  'Successful exploitation could compromise the confidentiality, integrity, and availability of the affected system and the data it processes.',
  'A man-in-the-middle could intercept or alter traffic, "trusting" the wrong server, and harvest credentials.',
  'Data exfiltration is possible, including personal data subject to GDPR; the Société’s DPO should be informed of any confirmed exploitation.',
  'The attacker may also bypass security features such as "Protected View", SmartScreen, or sandbox restrictions.',
  'Exploits for this class of issue are commonly weaponised within days, e.g. by ransomware operators.',
];
const IMPACT_BLOCKS = [
  'Confidentiality: High\nIntegrity: High\nAvailability: High',
  'Attack vector: Network\nPrivileges required: None\nUser interaction: {UI}',
];
const SOLUTION_SENTENCES = [
  'Customers are advised to upgrade to {P} {V} or later, as described in the vendor’s advisory "{ADV}".',
  'Refer to {ADV} ({URL}) for updates and patch information.',
  'If patching is not immediately possible, restrict access to port {PORT} to trusted management networks, e.g. with a host firewall rule.',
  'After applying the update, restart the {C} service (or reboot the host) so that the fixed binaries are loaded.',
  'Administrators should verify that the update was applied on every node of a cluster, including passive/standby nodes.',
  'The vendor’s « hotfix » is cumulative: installing the latest release also resolves earlier issues, including {CVE}.',
];
const SOLUTION_BLOCKS = [
  'Patch:\nFollowing are links for downloading patches to fix the vulnerabilities:\n{ADV} ({URL})',
  'Workaround:\nDisable the {C} module, e.g. by setting "{KEY}" = 0 in the configuration, then restart the service.\nNote: this workaround may break legacy clients.',
  'Upgrade steps:\n1. Back up the configuration.\n2. Install {P} {V}.\n3. Verify the version with the "--version" switch.\n4. Re-scan the host.',
  '<P>Patch:<BR>\nFollowing are links for downloading patches to fix the vulnerabilities:<BR>\n<A HREF="{URL}" TARGET="_blank">{ADV}</A>',
];
const EXPLOITABILITY = [
  'The Exploit-DB\nReference:{CVE}\nDescription:{P} - Remote Code Execution - The Exploit-DB Ref : 5{N}\nLink:https://exploits.example.test/exploits/5{N}',
  'Metasploit\nReference:{CVE}\nDescription:{P} {ISSUE} - Metasploit Ref : /modules/exploit/multi/http/{KEY}\nLink:https://modules.example.test/{KEY}.rb',
  'Qualys Research\nReference:{CVE}\nDescription:Public proof-of-concept, "weaponised" by several groups',
];

const IG_INTRO = [
  'The scanner collected "{T}" information from the host; this QID is informational only.',
  'Several different techniques can be used to gather "{T}" data, including TCP/IP fingerprinting, service banners and, when authenticated, the registry or the package database.',
];
const IG_SENTENCES = [
  'The information is reported for inventory and troubleshooting purposes, e.g. to confirm that authentication succeeded.',
  'Results may differ between scans when load balancers, NAT devices or « transparent » proxies sit between the scanner and the host.',
  'For hosts tracked by the Cloud Agent, the data is collected locally by the agent’s manifest rather than over the network.',
  'The detection relies on responses to probes such as ICMP echo, TCP SYN to common ports, and UDP datagrams to ports 53, 137 and 161.',
  'Values shown in "Results" are those observed at scan time; they are not validated against the CMDB.',
  'Accuracy improves when the scan is authenticated (Windows: SMB/WMI, Unix: SSH with "sudo"), as noted by the Zürich SOC team.',
];
const IG_BLOCKS = [
  'Detection methods:\nTCP/IP fingerprint\nNetBIOS / SMB\nSNMP sysDescr\nAgent inventory',
  'Note:\nThis QID has no CVSS score and is not counted in PCI compliance reports.',
];
const IG_IMPACT = [
  'This information can be used by an attacker to map the network and choose targeted exploits.',
  'Disclosure of host details (OS version, open services, uptime) helps an attacker prioritise targets, e.g. unpatched ones.',
  'By itself the information does not lead to a compromise, but it is often the first step of a reconnaissance phase.',
];
const IG_SOLUTION = [
  'No action is required; the QID is informational.',
  'If the disclosure is undesirable, filter the relevant ports at the perimeter firewall and disable verbose banners.',
  'Review the collected information periodically and compare it with the asset inventory, so that « shadow IT » is detected early.',
];

// ---------------------------------------------------------------------------------------------
// QID catalog
// ---------------------------------------------------------------------------------------------

interface ResultVariant {
  esc: string; // escaped content (no surrounding quotes)
  bytes: number;
  numericTail: boolean; // a per-row number is appended
}

interface QidEntry {
  index: number;
  qid: number;
  family: Family;
  platform: Platform;
  severity: number;
  type: 'Vuln' | 'Practice' | 'Ig';
  title: string;
  ports: readonly number[];
  /** `"QID","Title",` */
  fA: string;
  fABytes: number;
  /** `"Type","Severity",` */
  fB: string;
  /** `"PCI","Ticket State","Instance",` */
  fD: string;
  /** `"Category"\r\n` */
  fE: string;
  fEBytes: number;
  meta: {
    product: string;
    component: string;
    cves: string[];
    vendorRef: string;
    cvss2: string;
    cvss2t: string;
    cvss3: string;
    cvss3t: string;
    fixed: string;
    affected: string;
    adv: string;
    extra: string; // family specific (file name, package, banner)
  };
  /** Lazily built: `"CVE ID",…,"Associated Malware",` and the Results variants. */
  fC?: string;
  fCBytes?: number;
  results?: ResultVariant[];
}

export interface QidCatalog {
  seed: number;
  entries: QidEntry[];
  /** Candidate indices per host platform, popularity order. */
  byPlatform: Map<Platform, number[]>;
}

function version(rng: Rng, major: number): string {
  return `${major}.${rng.int(20)}.${rng.int(300)}`;
}

function cvss(rng: Rng, severity: number): { v2: string; v2t: string; v3: string; v3t: string } {
  const base3 = Math.min(10, Math.max(0.1, severity * 2 - 0.5 + rng.next() * 1.4)).toFixed(1);
  const base2 = Math.min(10, Math.max(0.1, severity * 2 - 1 + rng.next() * 1.2)).toFixed(1);
  const av = rng.chance(0.75) ? 'N' : 'L';
  const hi = severity >= 4 ? 'H' : severity === 3 ? 'L' : 'N';
  const v3 = `${base3} (AV:${av}/AC:${rng.pick(['L', 'H'])}/PR:${rng.pick(['N', 'L'])}/UI:${rng.pick(['N', 'R'])}/S:U/C:${hi}/I:${hi}/A:${rng.pick(['H', 'L', 'N'])})`;
  const v3t = `${(Number(base3) * 0.93).toFixed(1)} (E:${rng.pick(['U', 'P', 'F', 'H'])}/RL:O/RC:C)`;
  const hasV2 = rng.chance(0.45);
  const v2 = hasV2
    ? `${base2} (AV:${av}/AC:${rng.pick(['L', 'M'])}/Au:N/C:${severity >= 4 ? 'C' : 'P'}/I:${severity >= 4 ? 'C' : 'P'}/A:${rng.pick(['C', 'P', 'N'])})`
    : '';
  const v2t = hasV2
    ? `${(Number(base2) * 0.87).toFixed(1)} (E:${rng.pick(['U', 'POC', 'F'])}/RL:OF/RC:C)`
    : '';
  return { v2, v2t, v3, v3t };
}

function cveList(rng: Rng, max: number): string[] {
  const n = rng.int(max + 1);
  const year = rng.range(2019, 2026);
  const out: string[] = [];
  let id = rng.range(1000, 48000);
  for (let i = 0; i < n; i++) {
    out.push(`CVE-${year}-${id}`);
    id += rng.range(1, 40);
  }
  return out;
}

function makeQid(seed: number, index: number, qidNumber: number): QidEntry {
  const rng = new Rng(seed, D_QID_META, index);
  const family = rng.weighted<Family>(
    ['winPatch', 'winApp', 'linux', 'network', 'ssl', 'ig'],
    [18, 17, 38, 14, 7, 6],
  );
  let platform: Platform = 'any';
  let severity = 3;
  let type: QidEntry['type'] = 'Vuln';
  let title = '';
  let category = '';
  let ports: readonly number[] = [];
  let product = '';
  let component = '';
  let cves: string[] = [];
  let vendorRef = '';
  let adv = '';
  let extra = '';
  let pci = rng.chance(0.6);
  const year = 2026 - rng.int(4);
  const month = MONTHS[rng.int(12)]!;
  const major = rng.range(1, 24);
  let fixed = version(rng, major);
  let affected = `${major}.${rng.int(10)}`;

  switch (family) {
    case 'winPatch': {
      platform = 'win';
      severity = rng.weighted([3, 4, 5], [2, 4, 4]);
      const kb = `KB50${rng.range(10000, 99999)}`;
      adv = kb;
      extra = rng.pick(WIN_FILES);
      component = rng.pick(WIN_COMPONENTS);
      cves = cveList(rng, 14);
      vendorRef = rng.chance(0.5) ? `${kb}, KB50${rng.range(10000, 99999)}` : kb;
      category = 'Windows';
      const style = rng.int(3);
      if (style === 0) {
        product = 'Microsoft Windows';
        title = `Microsoft Windows Security Update for ${month} ${year}`;
      } else if (style === 1) {
        product = `Microsoft ${rng.pick(WIN_PRODUCTS)}`;
        title = `${product} Security Update - ${month} ${year}`;
        category = rng.pick(['Office Application', 'Windows', 'Database']);
      } else {
        product = 'Microsoft Windows';
        title = `Microsoft ${component} ${rng.pick(ISSUES)} (${kb})`;
      }
      break;
    }
    case 'winApp': {
      platform = 'win';
      severity = rng.weighted([2, 3, 4, 5], [1, 3, 4, 2]);
      const app = rng.pick(WIN_APPS);
      product = app.name;
      component = rng.pick([
        'rendering engine',
        'JavaScript engine',
        'PDF parser',
        'archive handler',
        'updater',
      ]);
      adv = `${app.adv}-${rng.range(1, 60)}`;
      extra = app.path;
      cves = cveList(rng, 10);
      vendorRef = adv;
      category = app.cat;
      title = rng.chance(0.25)
        ? `EOL/Obsolete Software: ${app.name} ${affected} Detected`
        : `${app.name} Prior to ${fixed} ${rng.pick(ISSUES)}`;
      break;
    }
    case 'linux': {
      platform = rng.weighted(LINUX_PLATFORMS, LINUX_PLATFORM_WEIGHTS);
      const d = DISTROS[platform]!;
      severity = rng.weighted([2, 3, 4, 5], [1, 4, 4, 1]);
      const pkg = rng.pick(LINUX_PKGS);
      product = pkg;
      component = pkg;
      extra = pkg;
      const n = rng.range(1000, 9999);
      title = d.title(pkg, n);
      adv = title.endsWith(')') ? title.slice(title.lastIndexOf('(') + 1, -1) : `ALAS2023-2026-${n}`;
      vendorRef = adv;
      cves = cveList(rng, 20);
      category = d.cat;
      break;
    }
    case 'network': {
      const p = rng.pick(NET_PRODUCTS);
      severity = rng.weighted([2, 3, 4, 5], [2, 4, 3, 1]);
      product = p.name;
      component = p.name;
      ports = p.ports;
      extra = p.banner.replace('{n}', String(rng.int(10))).replace('{m}', String(rng.int(30)));
      cves = cveList(rng, 8);
      adv = `${p.name.split(' ')[0]!.toUpperCase()}-SA-${year}-${rng.range(1, 40)}`;
      vendorRef = rng.chance(0.5) ? adv : '';
      category = p.cat;
      title = rng.chance(0.2)
        ? `${p.name} Version Disclosure Vulnerability`
        : `${p.name} Prior to ${fixed} ${rng.pick(ISSUES)}`;
      if (rng.chance(0.15)) title = `"${p.name}" ${rng.pick(ISSUES)}, ${month} ${year}`;
      break;
    }
    case 'ssl': {
      type = 'Practice';
      severity = rng.weighted([2, 3, 4], [3, 5, 2]);
      product = 'the TLS service';
      component = 'TLS handshake';
      fixed = 'TLS 1.2';
      affected = 'TLS 1.0';
      ports = SSL_PORTS;
      title = rng.pick(SSL_TITLES) + rng.pick(SSL_ADJ);
      adv = 'RFC 8996';
      extra = 'tls';
      category = 'General remote services';
      pci = true;
      break;
    }
    case 'ig': {
      type = 'Ig';
      severity = rng.weighted([1, 2, 3], [6, 3, 1]);
      product = 'Scanner';
      component = 'information gathering';
      title = rng.pick(IG_TITLES);
      if (title === 'NetBIOS Name Accessible') ports = [137];
      else if (title === 'Web Server Version' || title === 'Default Web Page') ports = [80, 443, 8080];
      else if (title === 'SSH Banner') ports = [22];
      category = rng.pick(IG_CATS);
      adv = 'N/A';
      pci = false;
      break;
    }
  }
  const c = family === 'ig' || family === 'ssl' ? { v2: '', v2t: '', v3: '', v3t: '' } : cvss(rng, severity);
  const ticket = type === 'Ig' ? '' : 'Open';
  const fA = `"${qidNumber}",${q(title)},`;
  const fE = q(category) + '\r\n';
  return {
    index,
    qid: qidNumber,
    family,
    platform,
    severity,
    type,
    title,
    ports,
    fA,
    fABytes: utf8(fA),
    fB: `"${type}","${severity}",`,
    fD: `"${pci ? 'yes' : 'no'}","${ticket}","",`,
    fE,
    fEBytes: utf8(fE),
    meta: {
      product,
      component,
      cves,
      vendorRef,
      cvss2: c.v2,
      cvss2t: c.v2t,
      cvss3: c.v3,
      cvss3t: c.v3t,
      fixed,
      affected,
      adv,
      extra,
    },
  };
}

/** Build the catalog metadata eagerly (cheap); long texts are built on first use. */
export function buildCatalog(seed: number, size = 3000): QidCatalog {
  const rng = new Rng(seed, D_CATALOG, 0);
  const used = new Set<number>();
  const numbers: number[] = [];
  while (numbers.length < size) {
    const n = rng.chance(0.3) ? rng.range(10000, 125000) : rng.range(150000, 399999);
    if (!used.has(n)) {
      used.add(n);
      numbers.push(n);
    }
  }
  const entries: QidEntry[] = [];
  const titles = new Set<string>();
  for (let i = 0; i < size; i++) {
    const e = makeQid(seed, i, numbers[i]!);
    let t = e.title;
    for (let k = 2; titles.has(t); k++) t = `${e.title} (Variant ${k})`;
    if (t !== e.title) {
      e.title = t;
      e.fA = `"${e.qid}",${q(t)},`;
      e.fABytes = utf8(e.fA);
    }
    titles.add(t);
    entries.push(e);
  }
  const byPlatform = new Map<Platform, number[]>();
  for (const p of ['win', ...LINUX_PLATFORMS] as Platform[]) {
    byPlatform.set(
      p,
      entries.filter((e) => e.platform === p || e.platform === 'any').map((e) => e.index),
    );
  }
  return { seed, entries, byPlatform };
}

function buildText(
  rng: Rng,
  target: number,
  intro: readonly string[],
  sentences: readonly string[],
  blocks: readonly string[],
  ctx: Readonly<Record<string, string>>,
): string {
  const lines: string[] = [];
  let cur = intro.length > 0 ? fill(rng.pick(intro), ctx) : '';
  let len = cur.length;
  let lastBlock = -1;
  let lastSentence = -1;
  while (len < target) {
    if (blocks.length > 0 && rng.chance(0.22)) {
      if (cur) lines.push(cur);
      let bi = rng.int(blocks.length);
      if (bi === lastBlock) bi = (bi + 1) % blocks.length;
      lastBlock = bi;
      const b = fill(blocks[bi]!, ctx);
      lines.push(b);
      len += b.length + 2;
      cur = '';
    } else {
      let si = rng.int(sentences.length);
      if (si === lastSentence) si = (si + 1) % sentences.length;
      lastSentence = si;
      const s = fill(sentences[si]!, ctx);
      cur = cur ? cur + ' ' + s : s;
      len += s.length + 1;
      if (rng.chance(0.15)) {
        lines.push(cur);
        cur = '';
      }
    }
  }
  if (cur) lines.push(cur);
  return lines.join('\n');
}

function resultVariants(rng: Rng, e: QidEntry): ResultVariant[] {
  const m = e.meta;
  const n = rng.range(1, 4);
  const out: ResultVariant[] = [];
  for (let i = 0; i < n; i++) {
    let text = '';
    let numericTail = false;
    switch (e.family) {
      case 'winPatch':
        text = `${m.adv} is not installed\n%windir%\\system32\\${m.extra}  Version is  10.0.${rng.pick(['17763', '14393', '20348', '19045', '22631'])}.`;
        numericTail = true;
        break;
      case 'winApp':
        text = rng.chance(0.5)
          ? `${m.extra}  Version is  ${m.affected}.${rng.int(100)}.`
          : `HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\${m.product}\nDisplayVersion = ${m.affected}.${rng.int(100)}\nInstallLocation = ${m.extra}\nBuild `;
        numericTail = true;
        break;
      case 'linux': {
        const rel = DISTROS[e.platform]?.rel ?? 'el8';
        const lines = ['Package\tInstalled Version\tRequired Version'];
        const k = rng.range(1, 8);
        for (let j = 0; j < k; j++) {
          const sub = j === 0 ? '' : rng.pick(['-libs', '-devel', '-common', '-tools', '-headers', '-core']);
          const a = `${rng.range(1, 9)}.${rng.int(20)}.${rng.int(50)}`;
          lines.push(`${m.extra}${sub}\t${a}-${rng.range(1, 30)}.${rel}\t${a}-${rng.range(31, 60)}.${rel}`);
        }
        text = lines.join('\n');
        break;
      }
      case 'network':
        text = rng.chance(0.5)
          ? `${m.extra}`
          : `GET / HTTP/1.1\nHost: target\n\nHTTP/1.1 200 OK\n${m.extra}\nContent-Type: text/html; charset="utf-8"\nContent-Length: `;
        numericTail = !text.endsWith(m.extra);
        break;
      case 'ssl': {
        const lines = [
          'CIPHER\tKEY-EXCHANGE\tAUTHENTICATION\tMAC\tENCRYPTION(KEY-STRENGTH)\tGRADE',
          'TLSv1 WITH RC4 CIPHERS IS SUPPORTED',
        ];
        const k = rng.range(1, 10);
        for (let j = 0; j < k; j++) {
          lines.push(
            `${rng.pick(['ECDHE-RSA-AES128-SHA', 'AES256-SHA', 'DES-CBC3-SHA', 'RC4-SHA', 'ECDHE-RSA-DES-CBC3-SHA', 'DHE-RSA-AES256-SHA'])}\t${rng.pick(['RSA', 'ECDH', 'DH'])}\tRSA\tSHA1\t${rng.pick(['AES(128)', 'AES(256)', '3DES(168)', 'RC4(128)'])}\t${rng.pick(['MEDIUM', 'LOW', 'HIGH'])}`,
          );
        }
        if (rng.chance(0.3))
          lines.push(`Certificate #0 CN=www.example.test, O="Exemple Société", issuer "Root CA – Zürich"`);
        text = lines.join('\n');
        break;
      }
      case 'ig':
        text = rng.pick([
          'Operating System\tTechnique\tID\nWindows Server 2019 Standard\tWindows registry\t0',
          'Port\tIANA Assigned Ports/Services\tDescription\tService Detected\tOS On Redirected Port\n22\tssh\tSSH Remote Login Protocol\tssh\n80\twww-http\tWorld Wide Web HTTP\thttp\n443\thttps\thttp protocol over TLS/SSL\thttp over ssl',
          'Hops\tIP\tRound Trip Time\tProbe\tPort\n1\t10.20.0.1\t0.41ms\tICMP\n2\t10.20.255.1\t1.07ms\tICMP',
          'IP address\tHost name\n10.20.0.11\tNo registered hostname',
          'Some of the ports filtered by the firewall are: 20, 21, 23, 25, 53, 111, 135, 445.\n\nListed below are the ports filtered by the firewall.\nNo response has been received when any of these ports are probed.\n1-3,5,7,9-15,17-25,27-29',
          'Qualys Cloud Agent Version 6.2.0.',
          'Based on TCP timestamps obtained via port 443, the host\'s uptime is 12 days, 4 hours, and "5" minutes.',
          'FS04\tWORKGROUP\t00-50-56-AB-CD-EF',
        ]);
        numericTail = text.endsWith('.') && rng.chance(0.5);
        break;
    }
    const esc = text.replaceAll('"', '""');
    out.push({ esc, bytes: utf8(esc), numericTail });
  }
  return out;
}

/** Build (once) the long texts of a QID. */
function materialize(e: QidEntry, seed: number): void {
  if (e.fC !== undefined) return;
  const rng = new Rng(seed, D_QID_TEXT, e.index);
  const m = e.meta;
  const cve = m.cves[0] ?? 'CVE-2026-0001';
  const ctx: Record<string, string> = {
    P: m.product,
    C: m.component,
    V: m.fixed,
    V0: m.affected,
    Vm: m.affected + '.99',
    ADV: m.adv,
    CVE: cve,
    URL: `https://advisories.example.test/${encodeURIComponent(m.adv.toLowerCase().replaceAll(' ', '-'))}`,
    PORT: String(e.ports[0] ?? 445),
    ISSUE: rng.pick(SHORT_ISSUES),
    UI: rng.pick(['None', 'Required']),
    KEY: `${m.component.replace(/[^A-Za-z]/g, '')}Enabled`,
    N: String(rng.range(1000, 9999)),
  };
  let threat: string;
  let impact: string;
  let solution: string;
  if (e.family === 'ig') {
    threat = buildText(rng, rng.range(500, 1500), IG_INTRO, IG_SENTENCES, IG_BLOCKS, {
      ...ctx,
      T: e.title,
    });
    const na = rng.chance(0.6);
    impact = na ? 'N/A' : buildText(rng, rng.range(500, 900), [], IG_IMPACT, IG_BLOCKS, ctx);
    solution = na ? 'N/A' : buildText(rng, rng.range(500, 900), [], IG_SOLUTION, IG_BLOCKS, ctx);
  } else {
    threat = buildText(rng, rng.range(500, 2300), THREAT_INTRO, THREAT_SENTENCES, THREAT_BLOCKS, ctx);
    if (m.cves.length > 1 && rng.chance(0.6)) {
      const lines = m.cves.slice(0, 8).map((c) => `${c}: ${rng.pick(SHORT_ISSUES)} in ${m.component}.`);
      threat += '\n' + lines.join('\n');
    }
    impact = buildText(rng, rng.range(500, 1500), [], IMPACT_SENTENCES, IMPACT_BLOCKS, ctx);
    solution = buildText(rng, rng.range(500, 2600), [], SOLUTION_SENTENCES, SOLUTION_BLOCKS, ctx);
  }
  const exploit = e.type === 'Vuln' && rng.chance(0.3) ? fill(rng.pick(EXPLOITABILITY), ctx) : '';
  const malware =
    e.type === 'Vuln' && rng.chance(0.05)
      ? `ReversingLabs\nMalware Name:Trojan.Win32.Example\nType:Trojan`
      : '';
  const fC =
    [
      m.cves.join(', '),
      m.vendorRef,
      '',
      m.cvss2,
      m.cvss2t,
      m.cvss3,
      m.cvss3t,
      threat,
      impact,
      solution,
      exploit,
      malware,
    ]
      .map(q)
      .join(',') + ',';
  e.fC = fC;
  e.fCBytes = utf8(fC);
  e.results = resultVariants(rng, e);
}

// ---------------------------------------------------------------------------------------------
// Hosts and rows
// ---------------------------------------------------------------------------------------------

const STATUS_FIELDS = ['"New",', '"Active",', '"Re-Opened",'];

interface Host {
  ip: string;
  dns: string;
  platform: Platform;
  /** `"IP","DNS","NetBIOS","QG Host ID","Tracking Method","OS","IP Status",` */
  prefix: string;
  prefixBytes: number;
  /** `"OS CPE",` */
  cpe: string;
  scanTime: number;
}

interface RowDesc {
  e: QidEntry;
  status: 0 | 1 | 2;
  /** `"Port","Protocol","FQDN","SSL","First","Last","Times","Fixed",` (ASCII) */
  mid: string;
  variant: number;
  tail: string;
}

function hex(rng: Rng, n: number): string {
  let s = '';
  while (s.length < n) s += rng.u32().toString(16).padStart(8, '0');
  return s.slice(0, n);
}

function makeHost(
  seed: number,
  index: number,
  ipNum: number,
  catalog: QidCatalog,
): { host: Host; rows: RowDesc[] } {
  const rng = new Rng(seed, D_HOST, index);
  const osDef = rng.weighted(OS_LIST, OS_WEIGHTS);
  const win = osDef.platform === 'win';
  const ip = ipToString(ipNum);
  const site = SITES[(ipNum >>> 16) & 255] ?? 'dc';
  const role = rng.pick(win ? WIN_ROLES : LINUX_ROLES);
  const num = String(index + 1).padStart(3, '0');
  const dns = rng.chance(0.92) ? `${role}${num}.${site}.corp.example.test` : '';
  const netbios = win && rng.chance(0.9) ? `${role}${num}`.toUpperCase().slice(0, 15) : '';
  const hostId = `${hex(rng, 8)}-${hex(rng, 4)}-${hex(rng, 4)}-${hex(rng, 4)}-${hex(rng, 12)}`;
  const tracking = rng.weighted(['Agent', 'IP', 'DNS', 'NETBIOS'], win ? [50, 40, 5, 5] : [40, 55, 5, 0]);
  const prefix =
    [ip, dns, netbios, hostId, tracking, osDef.os, 'host scanned, found vuln'].map(q).join(',') + ',';
  const scanTime = REPORT_EPOCH - rng.int(36 * 3600);
  const host: Host = {
    ip,
    dns,
    platform: osDef.platform,
    prefix,
    prefixBytes: utf8(prefix),
    cpe: q(osDef.cpe) + ',',
    scanTime,
  };

  // Which QIDs: heavy-tailed count, popularity-skewed choice among the platform's candidates.
  const candidates = catalog.byPlatform.get(osDef.platform)!;
  const wanted = Math.min(Math.floor(candidates.length / 2), 1 + Math.floor(-Math.log(1 - rng.next()) * 13));
  const chosen = new Set<number>();
  const rows: RowDesc[] = [];
  let attempts = 0;
  while (chosen.size < wanted && attempts++ < wanted * 20) {
    const u = rng.next();
    const idx = candidates[Math.floor(candidates.length * u * u * u)]!;
    if (chosen.has(idx)) continue;
    chosen.add(idx);
    const e = catalog.entries[idx]!;
    materialize(e, catalog.seed);
    // Same QID on several ports of the host = several rows.
    let ports: number[] = [0];
    if (e.ports.length > 0) {
      const k = Math.min(e.ports.length, rng.weighted([1, 2, 3, 4], [70, 20, 7, 3]));
      const pool = [...e.ports];
      ports = [];
      for (let i = 0; i < k; i++) ports.push(pool.splice(rng.int(pool.length), 1)[0]!);
    }
    for (const port of ports) {
      const status = rng.weighted<0 | 1 | 2>([0, 1, 2], [12, 80, 8]);
      const last = scanTime;
      const first =
        status === 0 ? last - rng.int(7 * DAY) : last - DAY - Math.floor(rng.next() * rng.next() * 900 * DAY);
      const times = status === 0 ? 1 + rng.int(2) : 1 + Math.floor(((last - first) / (7 * DAY)) * rng.next());
      const fixedAt = status === 2 ? first + Math.floor((last - first) * (0.3 + 0.5 * rng.next())) : 0;
      let portFields = '"","","","",';
      if (port > 0) {
        const proto = UDP_PORTS.has(port) ? 'udp' : 'tcp';
        const fqdn = WEB_PORTS.has(port) && rng.chance(0.5) ? dns : '';
        const ssl = SSL_PORT_SET.has(port) && (e.family === 'ssl' || rng.chance(0.6)) ? 'over ssl' : '';
        portFields = `"${port}","${proto}","${fqdn}","${ssl}",`;
      }
      const mid =
        portFields +
        `"${fmtDate(first)}","${fmtDate(last)}","${times}","${fixedAt ? fmtDate(fixedAt) : ''}",`;
      const variant = rng.int(e.results!.length);
      const tail = e.results![variant]!.numericTail ? String(rng.range(1, 9999)) : '';
      rows.push({ e, status, mid, variant, tail });
    }
  }
  return { host, rows };
}

function rowBytes(h: Host, r: RowDesc): number {
  const e = r.e;
  return (
    h.prefixBytes +
    e.fABytes +
    STATUS_FIELDS[r.status]!.length +
    e.fB.length +
    r.mid.length +
    e.fCBytes! +
    1 +
    e.results![r.variant]!.bytes +
    r.tail.length +
    2 +
    e.fD.length +
    h.cpe.length +
    e.fEBytes
  );
}

function rowString(h: Host, r: RowDesc): string {
  const e = r.e;
  return (
    h.prefix +
    e.fA +
    STATUS_FIELDS[r.status]! +
    e.fB +
    r.mid +
    e.fC! +
    '"' +
    e.results![r.variant]!.esc +
    r.tail +
    '",' +
    e.fD +
    h.cpe +
    e.fE
  );
}

// ---------------------------------------------------------------------------------------------
// Plan (pass 1)
// ---------------------------------------------------------------------------------------------

interface InternalPlan extends ScanReportPlan {
  catalog: QidCatalog;
  ipNums: number[];
  rowCounts: number[];
  preambleHead: string;
}

function nextIp(rng: Rng, cur: number): number {
  let next = cur + 1 + rng.int(4);
  if (rng.chance(0.02)) next = ((next >>> 8) + 1) * 256 + 1 + rng.int(20);
  if ((next & 255) >= 255 || (next & 255) === 0) next = ((next >>> 8) + 1) * 256 + 1 + rng.int(10);
  if (rng.chance(0.002) || ((next >>> 8) & 255) > 250) {
    const o2 = (next >>> 16) & 255;
    const pos = SITE_OCTETS.indexOf(o2);
    const nextO2 = pos >= 0 && pos + 1 < SITE_OCTETS.length ? SITE_OCTETS[pos + 1]! : o2 + 1;
    next = ((10 << 24) | (nextO2 << 16) | (0 << 8) | (1 + rng.int(10))) >>> 0;
  }
  return next >>> 0;
}

const PREAMBLE_HEAD_FIXED =
  csvLine(['Vulnerability Scan Report', '11/20/2026 at 09:12:45 (GMT+0100)']) +
  csvLine(['Example Industries SA', '12 Rue des Exemples', 'Lyon', '', 'France', '69002']) +
  csvLine(['Camille Martin', 'exind_cm', 'Manager']) +
  '\r\n' +
  csvLine([
    'Asset Groups',
    'IPs',
    'DNS Names',
    'Active Hosts',
    'Hosts Matching Filters',
    'Trend Analysis',
    'Date Range',
    'Asset Tags',
  ]);
const TOTALS_HEADER = csvLine([
  'Total Vulnerabilities',
  'Average Security Risk',
  'by Severity',
  '',
  '',
  '',
  '',
  'by Status',
  '',
  '',
  '',
]);
const PER_IP_HEADER = csvLine(['IP', 'Total Vulnerabilities', 'Security Risk']);
const DETAIL_HEADER_LINE = csvLine(DETAIL_HEADER);

function ipRanges(ipNums: readonly number[]): string {
  const ranges: string[] = [];
  let start = ipNums[0]!;
  let prev = start;
  for (let i = 1; i <= ipNums.length; i++) {
    const n = ipNums[i];
    if (n === undefined || n >>> 16 !== prev >>> 16) {
      ranges.push(`${ipToString(start)}-${ipToString(prev)}`);
      if (n !== undefined) start = n;
    }
    if (n !== undefined) prev = n;
  }
  return ranges.join(', ');
}

function perIpLine(p: PerIpSummary): string {
  return `"${p.ip}","${p.vulns}","${p.risk}"\r\n`;
}

function planInternal(opts: ScanReportOptions): InternalPlan {
  const seed = opts.seed ?? 1;
  const targetBytes = Math.max(1, Math.floor(opts.targetBytes));
  const catalog = buildCatalog(seed, opts.catalogSize ?? 3000);
  const ipRng = new Rng(seed, D_IPS, 0);
  // Preamble lines whose size depends on the final numbers: budget them generously.
  const variableEstimate = 400;
  let running =
    PREAMBLE_HEAD_FIXED.length + TOTALS_HEADER.length + PER_IP_HEADER.length + DETAIL_HEADER_LINE.length + 8;
  running += variableEstimate;

  const ipNums: number[] = [];
  const rowCounts: number[] = [];
  const perIp: PerIpSummary[] = [];
  const bySeverity: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  const byStatus = [0, 0, 0];
  const qidsUsed = new Set<number>();
  let totalRows = 0;
  let detailBytes = 0;
  let ip = ((10 << 24) | (20 << 16) | 10) >>> 0;
  let stop = false;

  for (let h = 0; !stop; h++) {
    if (h > 0) ip = nextIp(ipRng, ip);
    const { host, rows } = makeHost(seed, h, ip, catalog);
    let taken = 0;
    let sevSum = 0;
    for (const r of rows) {
      const b = rowBytes(host, r);
      const extra = taken === 0 ? host.ip.length + 20 : 0;
      if (totalRows > 0 && running + b + extra > targetBytes) {
        stop = true;
        break;
      }
      running += b + extra;
      detailBytes += b;
      taken++;
      totalRows++;
      sevSum += r.e.severity;
      bySeverity[r.e.severity - 1]!++;
      byStatus[r.status]!++;
      qidsUsed.add(r.e.index);
    }
    if (taken > 0) {
      ipNums.push(ip);
      rowCounts.push(taken);
      perIp.push({ ip: host.ip, vulns: taken, risk: (sevSum / taken).toFixed(1) });
    }
  }

  const hosts = ipNums.length;
  const riskSum = perIp.reduce((s, p) => s + Number(p.risk), 0);
  const avgRisk = (riskSum / hosts).toFixed(1);
  const byStatusObj = { New: byStatus[0]!, Active: byStatus[1]!, 'Re-Opened': byStatus[2]!, Fixed: 0 };
  const preambleHead =
    PREAMBLE_HEAD_FIXED +
    csvLine([
      'AG_All_Servers',
      ipRanges(ipNums),
      '',
      String(hosts),
      String(hosts),
      'Latest vulnerability data',
      '01/01/1999-11/20/2026',
      '',
    ]) +
    '\r\n' +
    TOTALS_HEADER +
    csvLine([
      String(totalRows),
      avgRisk,
      `5: ${bySeverity[4]}`,
      `4: ${bySeverity[3]}`,
      `3: ${bySeverity[2]}`,
      `2: ${bySeverity[1]}`,
      `1: ${bySeverity[0]}`,
      `New: ${byStatusObj.New}`,
      `Active: ${byStatusObj.Active}`,
      `Re-Opened: ${byStatusObj['Re-Opened']}`,
      'Fixed: 0',
    ]) +
    '\r\n' +
    PER_IP_HEADER;
  let perIpBytes = 0;
  for (const p of perIp) perIpBytes += perIpLine(p).length;
  const bytes = utf8(preambleHead) + perIpBytes + 4 + DETAIL_HEADER_LINE.length + detailBytes;

  return {
    seed,
    targetBytes,
    rows: totalRows,
    hosts,
    qids: qidsUsed.size,
    catalogQids: catalog.entries.length,
    bytes,
    declaredTotal: totalRows,
    activeHosts: hosts,
    avgRisk,
    bySeverity,
    byStatus: byStatusObj,
    records: PREAMBLE_FIXED_RECORDS + hosts + totalRows,
    perIp,
    catalog,
    ipNums,
    rowCounts,
    preambleHead,
  };
}

function publicPlan(internal: InternalPlan): ScanReportPlan {
  const { catalog: _c, ipNums: _i, rowCounts: _r, preambleHead: _p, ...plan } = internal;
  return plan;
}

/** Pass 1 only: what a file of this size and seed will contain (counts, per-IP summary, exact size). */
export function planScanReport(opts: ScanReportOptions): ScanReportPlan {
  return publicPlan(planInternal(opts));
}

// ---------------------------------------------------------------------------------------------
// Writing (pass 2)
// ---------------------------------------------------------------------------------------------

const CHUNK_BYTES = 1 << 20;

/** The file as small strings (preamble pieces, one string per detail row), lazily. */
function* piecesOf(plan: InternalPlan): Generator<string> {
  yield plan.preambleHead;
  let lines = '';
  for (const p of plan.perIp) {
    lines += perIpLine(p);
    if (lines.length >= 16384) {
      yield lines;
      lines = '';
    }
  }
  yield lines + '\r\n\r\n' + DETAIL_HEADER_LINE;
  for (let h = 0; h < plan.hosts; h++) {
    const { host, rows } = makeHost(plan.seed, h, plan.ipNums[h]!, plan.catalog);
    const n = plan.rowCounts[h]!;
    for (let i = 0; i < n; i++) yield rowString(host, rows[i]!);
  }
}

/**
 * Pack strings into ~1 MiB Buffers, UTF-8 encoding each piece straight into the Buffer. (Building
 * 1 MiB JS strings instead is several times slower: V8 puts them in large-object space.)
 */
function* packBuffers(pieces: Iterable<string>, size = CHUNK_BYTES): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const s of pieces) {
    if (off + s.length * 3 > size) {
      if (off > 0) yield buf.subarray(0, off);
      buf = Buffer.allocUnsafe(Math.max(size, s.length * 3));
      off = 0;
    }
    off += buf.write(s, off, 'utf8');
  }
  if (off > 0) yield buf.subarray(0, off);
}

/** The CSV as a lazy sequence of ~1 MiB Buffers (rows are drawn as it is iterated). */
export function scanReportChunks(opts: ScanReportOptions): {
  plan: ScanReportPlan;
  chunks: Iterable<Buffer>;
} {
  const internal = planInternal(opts);
  return { plan: publicPlan(internal), chunks: packBuffers(piecesOf(internal)) };
}

/** The CSV as a byte Readable (pull-based, so with backpressure), e.g. to stream an upload without a file. */
export function scanReportStream(opts: ScanReportOptions): { plan: ScanReportPlan; stream: Readable } {
  const { plan, chunks } = scanReportChunks(opts);
  return { plan, stream: Readable.from(chunks, { objectMode: false }) };
}

async function writeAll(chunks: Iterable<Buffer>, ws: Writable): Promise<number> {
  let bytes = 0;
  let failure: unknown;
  const onError = (err: unknown): void => {
    failure = err;
  };
  ws.on('error', onError);
  try {
    for (const buf of chunks) {
      if (failure) throw failure;
      bytes += buf.length;
      if (!ws.write(buf)) await once(ws, 'drain');
    }
    ws.end();
    await finished(ws);
    if (failure) throw failure;
  } finally {
    ws.off('error', onError);
  }
  return bytes;
}

/**
 * Generate a Scan Report CSV. With `out` a path or a Writable it streams (constant memory, backpressure);
 * without `out` it returns the text (keep it small).
 */
export async function generateScanReport(opts: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const plan = planInternal(opts);
  const summary = publicPlan(plan);
  let bytes: number;
  let text: string | undefined;
  if (opts.out === undefined) {
    text = [...piecesOf(plan)].join('');
    bytes = utf8(text);
  } else if (typeof opts.out === 'string') {
    await mkdir(dirname(resolve(opts.out)), { recursive: true });
    bytes = await writeAll(
      packBuffers(piecesOf(plan)),
      createWriteStream(opts.out, { highWaterMark: 4 << 20 }),
    );
  } else {
    bytes = await writeAll(packBuffers(piecesOf(plan)), opts.out);
  }
  if (bytes !== plan.bytes) throw new Error(`generator size mismatch: planned ${plan.bytes}, wrote ${bytes}`);
  const result: GenerateResult = { ...summary, bytes, seconds: (performance.now() - t0) / 1000 };
  if (text !== undefined) result.text = text;
  return result;
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

/** "100MB", "1GB", "300KB", "1.5GiB", "123456" → bytes (K/M/G are powers of 1024). */
export function parseSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(s);
  if (!m) throw new Error(`bad size: ${s}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

async function main(argv: string[]): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.includes('=')
        ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a.slice(2), argv[++i]];
      if (v === undefined) throw new Error(`missing value for ${a}`);
      args.set(k!, v);
    }
  }
  const size = args.get('size');
  const out = args.get('out');
  if (!size || !out) {
    console.error(
      'usage: node --import tsx bench/src/generate-scan-report.ts --size 100MB --out bench/out/report-100mb.csv [--seed 1] [--qids 3000]',
    );
    process.exit(2);
  }
  const r = await generateScanReport({
    targetBytes: parseSize(size),
    seed: Number(args.get('seed') ?? 1),
    catalogSize: Number(args.get('qids') ?? 3000),
    out,
  });
  const mib = r.bytes / 2 ** 20;
  console.log(
    `${out}: ${mib.toFixed(1)} MiB (${r.bytes} bytes), ${r.rows} detail rows (declared total ${r.declaredTotal}), ` +
      `${r.hosts} hosts, ${r.qids} distinct QIDs, avg risk ${r.avgRisk}, ${r.records} CSV records; ` +
      `${r.seconds.toFixed(1)} s (${(mib / r.seconds).toFixed(0)} MiB/s)`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
