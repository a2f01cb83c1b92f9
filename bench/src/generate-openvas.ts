/**
 * Streaming generator of large, realistic OpenVAS / Greenbone XML reports (fictional data), laid out
 * like a GSA download (shared/fixtures/scans/openvas/one_vuln.xml, many_vuln.xml): an outer <report>
 * around the GMP report, its results grouped by host (filter sort=host), then the result counts and
 * one <host> summary per host. Results are pretty-printed, with multi-line descriptions, escaped
 * markup, some non-ASCII text, Log results on general/tcp, general/icmp and general/CPE-T.
 *
 * One pass: hosts are drawn one after another from seeded PRNG streams and their results written
 * until the next one would pass the target size. Memory: the NVT catalog (drawn lazily, cached) and
 * a small tally per host for the summaries that follow the results; the text goes out in ~1 MiB
 * Buffers, with backpressure.
 *
 * CLI: node --import tsx bench/src/generate-openvas.ts --size 200MB --out bench/out/openvas-200mb.xml [--seed 1]
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { Rng } from './generate-scan-report.ts';
import { runGeneratorCli } from './generator-cli.ts';

const CHUNK_BYTES = 1 << 20;
/** Distinct vulnerability NVTs the results draw from (the Log NVTs come on top). */
const CATALOG_SIZE = 4000;
const SCAN_START = Date.UTC(2026, 2, 2, 22, 0, 0);

const D_CATALOG = 11;
const D_HOST = 12;
const D_REPORT = 13;
const D_RESULTS = 14;

type Threat = 'Critical' | 'High' | 'Medium' | 'Low' | 'Log';
const THREATS: readonly Threat[] = ['Critical', 'High', 'Medium', 'Low', 'Log'];

/** A host's product and where it listens; NVTs about it report on that port. */
interface Product {
  name: string;
  port: string;
  family: string;
  path: string;
}

const PRODUCTS: readonly Product[] = [
  { name: 'OpenSSH', port: '22/tcp', family: 'General', path: '/usr/sbin/sshd' },
  { name: 'Apache HTTP Server', port: '80/tcp', family: 'Web Servers', path: '/usr/sbin/httpd' },
  { name: 'nginx', port: '443/tcp', family: 'Web Servers', path: '/usr/sbin/nginx' },
  { name: 'OpenSSL', port: 'general/tcp', family: 'General', path: '/usr/lib64/libssl.so.3' },
  { name: 'PHP', port: '80/tcp', family: 'Web application abuses', path: '/usr/bin/php-fpm' },
  { name: 'MySQL', port: '3306/tcp', family: 'Databases', path: '/usr/sbin/mysqld' },
  { name: 'PostgreSQL', port: '5432/tcp', family: 'Databases', path: '/usr/lib/postgresql/16/bin/postgres' },
  {
    name: 'Microsoft SQL Server',
    port: '1433/tcp',
    family: 'Databases',
    path: 'C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER',
  },
  { name: 'Apache Tomcat', port: '8080/tcp', family: 'Web Servers', path: '/opt/tomcat/lib/catalina.jar' },
  { name: 'Jenkins', port: '8443/tcp', family: 'Web application abuses', path: '/var/lib/jenkins/war' },
  { name: 'Elasticsearch', port: '9200/tcp', family: 'Databases', path: '/usr/share/elasticsearch' },
  { name: 'Redis', port: '6379/tcp', family: 'Databases', path: '/usr/bin/redis-server' },
  { name: 'Samba', port: '445/tcp', family: 'SMB', path: '/usr/sbin/smbd' },
  { name: 'Exim', port: '25/tcp', family: 'SMTP problems', path: '/usr/sbin/exim4' },
  { name: 'ISC BIND', port: '53/udp', family: 'DNS', path: '/usr/sbin/named' },
  { name: 'ProFTPD', port: '21/tcp', family: 'FTP', path: '/usr/sbin/proftpd' },
  {
    name: 'Mozilla Firefox',
    port: 'general/tcp',
    family: 'General',
    path: 'C:\\Program Files\\Mozilla Firefox',
  },
  {
    name: 'Google Chrome',
    port: 'general/tcp',
    family: 'General',
    path: 'C:\\Program Files\\Google\\Chrome\\Application',
  },
  {
    name: 'Oracle Java SE',
    port: 'general/tcp',
    family: 'General',
    path: 'C:\\Program Files\\Java\\jre-1.8',
  },
  {
    name: 'Microsoft Windows',
    port: 'general/tcp',
    family: 'Windows : Microsoft Bulletins',
    path: 'C:\\Windows\\system32\\ntoskrnl.exe',
  },
  {
    name: 'Microsoft Exchange Server',
    port: '443/tcp',
    family: 'Windows : Microsoft Bulletins',
    path: 'C:\\Program Files\\Microsoft\\Exchange Server\\V15',
  },
  { name: 'VMware ESXi', port: '443/tcp', family: 'VMware Local Security Checks', path: 'esxi' },
  { name: 'Grafana', port: '3000/tcp', family: 'Web application abuses', path: '/usr/share/grafana' },
];
const DISTROS = [
  { name: 'Ubuntu', family: 'Ubuntu Local Security Checks', advisory: 'USN', oid: 12 },
  { name: 'Debian', family: 'Debian Local Security Checks', advisory: 'DSA', oid: 2 },
  { name: 'Red Hat', family: 'Red Hat Local Security Checks', advisory: 'RHSA', oid: 4 },
  { name: 'SUSE', family: 'SuSE Local Security Checks', advisory: 'SUSE-SU', oid: 4 },
] as const;
const PACKAGES = [
  'openssl',
  'curl',
  'glibc',
  'linux',
  'sudo',
  'libxml2',
  'python3.12',
  'vim',
  'git',
  'expat',
];
const FLAWS = [
  'a use-after-free in the request parser',
  'an out-of-bounds read when handling crafted certificates',
  'an integer overflow in the chunked transfer decoder',
  'improper input validation of header values (e.g. "a & b" or <script>)',
  'a race condition in the signal handler',
  'a heap-based buffer overflow in the compression routine',
  'missing authentication for a critical function',
];
const OSES = [
  ['cpe:/o:canonical:ubuntu_linux:22.04', 'Ubuntu 22.04'],
  ['cpe:/o:debian:debian_linux:12', 'Debian GNU/Linux 12'],
  ['cpe:/o:redhat:enterprise_linux:9', 'Red Hat Enterprise Linux 9'],
  ['cpe:/o:microsoft:windows_server_2019', 'Microsoft Windows Server 2019'],
  ['cpe:/o:microsoft:windows_server_2022', 'Microsoft Windows Server 2022'],
  ['cpe:/o:vmware:esxi:8.0', 'VMware ESXi 8.0'],
] as const;
const SITES = ['lyon', 'muenchen', 'zurich', 'paris', 'sao-paulo'];

// ---------------------------------------------------------------------------------------------
// NVTs: a fixed set of Log / configuration NVTs every host tends to get, and a drawn catalog
// ---------------------------------------------------------------------------------------------

interface Host {
  ip: string;
  assetId: string;
  hostname: string;
  os: number;
  start: number;
}

/** What an NVT says about itself; its <nvt> element is serialized once and shared by its results. */
interface NvtSpec {
  oid: string;
  name: string;
  family: string;
  score: number;
  vector: string;
  port: string;
  tags: string;
  solutionType: string;
  solution: string;
  /** <ref> elements, serialized. */
  refs: string;
  /** The <epss> element, serialized, or ''. */
  epss: string;
  /** What the NVT found on one host: the result's <description>, unescaped. */
  output(rng: Rng, host: Host): string;
}

interface Nvt {
  name: string;
  threat: Threat;
  score: string;
  port: string;
  xml: string;
  output(rng: Rng, host: Host): string;
}

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const version = (rng: Rng) => `${rng.range(1, 12)}.${rng.range(0, 20)}.${rng.range(0, 40)}`;
/** Greenbone's timestamps: whole seconds, UTC. */
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const hex8 = (rng: Rng) => rng.u32().toString(16).padStart(8, '0');

function uuid(rng: Rng): string {
  const a = hex8(rng);
  const b = hex8(rng);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-a${hex8(rng).slice(1, 4)}-${hex8(rng)}${hex8(rng).slice(4)}`;
}

function threatOf(score: number): Threat {
  if (score === 0) return 'Log';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  return score < 9 ? 'High' : 'Critical';
}

function nvtOf(spec: NvtSpec): Nvt {
  const score = spec.score.toFixed(1);
  const type = spec.vector.startsWith('CVSS:3') ? 'cvss_base_v3' : 'cvss_base_v2';
  const xml =
    `    <nvt oid="1.3.6.1.4.1.25623.1.${spec.oid}">\n      <type>nvt</type>\n      <name>${esc(spec.name)}</name>\n` +
    `      <family>${esc(spec.family)}</family>\n      <cvss_base>${score}</cvss_base>\n` +
    `      <severities score="${score}">\n        <severity type="${type}"><origin/><date>2025-11-04T09:12:33Z</date>` +
    `<score>${score}</score><value>${spec.vector}</value></severity>\n      </severities>\n` +
    `      <tags>cvss_base_vector=${spec.vector}|${esc(spec.tags)}|solution_type=${spec.solutionType}</tags>\n` +
    `      <solution type="${spec.solutionType}">${esc(spec.solution)}</solution>\n${spec.epss}` +
    `      <refs>${spec.refs}</refs>\n    </nvt>\n`;
  const output = spec.output;
  return {
    name: spec.name,
    threat: threatOf(spec.score),
    score,
    port: spec.port,
    xml,
    output: (rng, host) => esc(output(rng, host)),
  };
}

type CommonSpec = Pick<NvtSpec, 'oid' | 'name' | 'family' | 'score' | 'vector' | 'port' | 'output'> & {
  summary: string;
};

/** NVTs most hosts get: detection and inventory (Log) and common configuration findings. */
const COMMON: readonly CommonSpec[] = [
  {
    oid: '0.105937',
    name: 'OS Detection Consolidation and Reporting',
    family: 'Product detection',
    score: 0,
    vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:N',
    port: 'general/tcp',
    summary:
      'This script consolidates the OS information detected by several VTs and tries to find the best matching OS.',
    output: (_rng, host) =>
      `Best matching OS:\n\nOS:           ${OSES[host.os]![1]}\nCPE:          ${OSES[host.os]![0]}\n` +
      'Found by VT:  1.3.6.1.4.1.25623.1.0.105586 (Banner)\nConcluded from SSH banner on port 22/tcp: SSH-2.0-OpenSSH_9.6',
  },
  {
    oid: '0.810002',
    name: 'CPE Inventory',
    family: 'Service detection',
    score: 0,
    vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:N',
    port: 'general/CPE-T',
    summary:
      'This routine uses information collected by other routines about CPE identities of operating systems, services and applications detected during the scan.',
    output: (rng, host) =>
      [
        OSES[host.os]![0],
        ...Array.from(
          { length: rng.range(2, 12) },
          () => `cpe:/a:example:${rng.pick(PACKAGES)}:${version(rng)}`,
        ),
      ]
        .map((cpe) => `${host.ip}|${cpe}`)
        .join('\n'),
  },
  {
    oid: '0.51662',
    name: 'Traceroute',
    family: 'General',
    score: 0,
    vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:N',
    port: 'general/tcp',
    summary:
      'Collect information about the network route and network distance between the scanner host and the target host.',
    output: (rng, host) =>
      `Network route from scanner (10.0.0.2) to target (${host.ip}):\n10.0.0.2\n10.0.${rng.range(0, 9)}.1\n${host.ip}\n\nNetwork Distance: 3 hops`,
  },
  {
    oid: '0.103081',
    name: 'Hostname Determination Reporting',
    family: 'General',
    score: 0,
    vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:N',
    port: 'general/tcp',
    summary: 'The script reports information on how the hostname of the target was determined.',
    output: (_rng, host) =>
      `Hostname determination for IP ${host.ip}:\n\nHostname|Source\n${host.hostname || host.ip}|Reverse-DNS`,
  },
  {
    oid: '0.80091',
    name: 'TCP Timestamps Information Disclosure',
    family: 'General',
    score: 2.6,
    vector: 'AV:N/AC:H/Au:N/C:P/I:N/A:N',
    port: 'general/tcp',
    summary: 'The remote host implements TCP timestamps and therefore allows to compute\n  the uptime.',
    output: (rng) =>
      'It was detected that the host implements RFC1323/RFC7323.\n\nThe following timestamps were retrieved with a ' +
      `delay of 1 seconds in-between:\nPacket 1: ${rng.u32()}\nPacket 2: ${rng.u32()}\n`,
  },
  {
    oid: '0.103190',
    name: 'ICMP Timestamp Reply Information Disclosure',
    family: 'General',
    score: 2.1,
    vector: 'AV:L/AC:L/Au:N/C:P/I:N/A:N',
    port: 'general/icmp',
    summary: 'The remote host responded to an ICMP timestamp request.',
    output: (rng) =>
      `The following response / ICMP packet has been received:\n- ICMP Type: 14\n- ICMP Code: 0\n- Originate: ${rng.u32()}`,
  },
  {
    oid: '0.117274',
    name: 'SSL/TLS: Deprecated TLSv1.0 and TLSv1.1 Protocol Detection',
    family: 'SSL and TLS',
    score: 4.3,
    vector: 'AV:N/AC:M/Au:N/C:P/I:N/A:N',
    port: '443/tcp',
    summary:
      'It was possible to detect the usage of the deprecated TLSv1.0 and/or TLSv1.1 protocol on this system.',
    output: () =>
      'The service is only providing the deprecated TLSv1.0 and TLSv1.1 protocols and supports one or more ciphers. ' +
      "Those supported ciphers can be found in the 'SSL/TLS: Report Weak and Supported Ciphers' VT.",
  },
  {
    oid: '0.103955',
    name: 'SSL/TLS: Certificate Expired',
    family: 'SSL and TLS',
    score: 5,
    vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N',
    port: '443/tcp',
    summary: 'The remote server SSL/TLS certificate has already expired.',
    output: (rng, host) =>
      `The certificate of the remote service expired on 2025-${String(rng.range(1, 12)).padStart(2, '0')}-14 23:59:59.\n\n` +
      `Certificate details:\nfingerprint (SHA-1)             | ${hex8(rng)}${hex8(rng)}${hex8(rng)}\n` +
      `subject                         | CN=${host.hostname || host.ip},O=Beispiel GmbH,L=München,C=DE\n` +
      'issuer                          | CN=Beispiel Issuing CA 2,O=Beispiel GmbH,C=DE',
  },
  {
    oid: '0.108041',
    name: 'HTTP Brute Force Logins With Default Credentials Reporting',
    family: 'Brute force attacks',
    score: 9,
    vector: 'AV:N/AC:L/Au:S/C:C/I:C/A:C',
    port: '8080/tcp',
    summary: 'It was possible to login into the remote Web Application using default credentials.',
    output: (_rng, host) =>
      'It was possible to login with the following credentials (<URL>:<User>:<Password>:<HTTP status code>)\n\n' +
      `http://${host.ip}:8080/manager/html:admin:admin:HTTP/1.1 200 OK`,
  },
];

function commonNvt({ summary, ...spec }: CommonSpec): Nvt {
  return nvtOf({
    ...spec,
    tags: `summary=${summary}|insight=|affected=|impact=|vuldetect=Reports the data collected by the scan.`,
    solutionType: 'Mitigation',
    solution: 'Mitigate as described in the references.',
    refs: '',
    epss: '',
  });
}

/** Catalog NVT i: a product vulnerability or a distribution's advisory, drawn from its own stream. */
function catalogNvt(seed: number, i: number): Nvt {
  const rng = new Rng(seed, D_CATALOG, i);
  const bands = [rng.range(90, 100), rng.range(70, 89), rng.range(40, 69), rng.range(10, 39)];
  const score = rng.weighted(bands, [8, 27, 50, 15]) / 10;
  const cves = Array.from(
    { length: rng.chance(0.1) ? 0 : rng.range(1, rng.chance(0.1) ? 90 : 8) },
    () => `CVE-20${rng.range(18, 26)}-${rng.range(1000, 59999)}`,
  );
  const refs =
    cves.map((cve) => `<ref type="cve" id="${cve}"/>`).join('') +
    `<ref type="cert-bund" id="WID-SEC-2026-${rng.range(100, 2999)}"/>` +
    `<ref type="url" id="https://security.example.org/advisories/${i}"/>`;
  const epss =
    cves.length === 0
      ? ''
      : `      <epss>\n        <max_severity><score>${(rng.next() / 3).toFixed(5)}</score>` +
        `<percentile>${rng.next().toFixed(5)}</percentile><cve id="${cves[0]}"><severity>${score.toFixed(1)}</severity></cve>` +
        '</max_severity>\n      </epss>\n';
  const vector =
    score >= 9
      ? 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'
      : rng.chance(0.8)
        ? `CVSS:3.1/AV:N/AC:${rng.pick(['L', 'H'])}/PR:${rng.pick(['N', 'L'])}/UI:N/S:U/C:H/I:${rng.pick(['N', 'L', 'H'])}/A:N`
        : 'AV:N/AC:M/Au:N/C:P/I:P/A:P';
  const common = { score, vector, refs, epss, solutionType: 'VendorFix' };

  if (i % 5 === 4) {
    const distro = rng.pick(DISTROS);
    const pkgs = Array.from({ length: rng.range(1, 5) }, () => rng.pick(PACKAGES));
    const advisory = `${distro.advisory}-${rng.range(2000, 7999)}-${rng.range(1, 3)}`;
    return nvtOf({
      ...common,
      oid: `1.${distro.oid}.2026.${i}`,
      name: `${distro.name}: Security Advisory for ${pkgs[0]} (${advisory})`,
      family: distro.family,
      port: 'general/tcp',
      tags:
        `summary=The remote host is missing an update for the '${pkgs.join("', '")}'\n  package(s) announced via the ` +
        `${advisory} advisory.|insight=The update fixes ${rng.pick(FLAWS)}.|affected='${pkgs[0]}' package(s) on ` +
        `${distro.name}.|impact=|vuldetect=Checks if a vulnerable package version is present on the target host.`,
      solution: 'Please install the updated package(s).',
      output: (r) =>
        pkgs
          .map((pkg) => {
            const installed = version(r);
            return `\nVulnerable package: ${pkg}\nInstalled version:  ${pkg}-${installed}\nFixed version:      >=${pkg}-${installed}-1ubuntu0.${r.range(1, 9)}`;
          })
          .join('\n'),
    });
  }

  const product = PRODUCTS[i % PRODUCTS.length]!;
  const fixed = version(rng);
  const kind = rng.pick([
    'Multiple Vulnerabilities',
    'Denial of Service Vulnerability',
    'Remote Code Execution Vulnerability',
  ]);
  return nvtOf({
    ...common,
    oid: `0.${100000 + i}`,
    name: `${product.name} < ${fixed} ${kind} (${rng.pick(['Linux', 'Windows', 'Mac OS X'])}, #${i})`,
    family: product.family,
    port: product.port,
    tags:
      `summary=${product.name} is prone to multiple vulnerabilities.|insight=The following flaws exist:\n\n  - ` +
      `${rng.pick(FLAWS)}\n\n  - ${rng.pick(FLAWS)}|affected=${product.name} prior to version ${fixed}.|impact=Successful ` +
      'exploitation would allow an attacker to execute arbitrary code\n  or cause a denial of service.|vuldetect=Checks if ' +
      'a vulnerable version is present on the target host.',
    solution: `Update to version ${fixed} or later.\n  Please see the references for more information.`,
    output: (r) =>
      `Installed version: ${version(r)}\nFixed version:     ${fixed}\nInstallation\npath / port:       ${product.path}`,
  });
}

// ---------------------------------------------------------------------------------------------
// Hosts and their results
// ---------------------------------------------------------------------------------------------

function hostOf(seed: number, index: number): Host {
  const rng = new Rng(seed, D_HOST, index);
  const site = index % SITES.length;
  const n = Math.floor(index / SITES.length);
  const ip = `10.${20 + site}.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
  const hostname = rng.chance(0.75)
    ? `${rng.pick(['srv', 'web', 'db', 'app', 'dc', 'k8s'])}${n}.${SITES[site]}.example.org`
    : '';
  return { ip, assetId: uuid(rng), hostname, os: rng.int(OSES.length), start: SCAN_START + index * 7_000 };
}

/** One result, pretty-printed; its tags each sit on one line. */
function resultXml(rng: Rng, nvt: Nvt, host: Host, at: number): string {
  const time = iso(at);
  const qod = nvt.threat === 'Log' ? 80 : rng.pick([70, 75, 80, 97, 98, 99]);
  return (
    `<result id="${uuid(rng)}">\n    <name>${esc(nvt.name)}</name>\n    <owner><name>admin</name></owner>\n` +
    `    <modification_time>${time}</modification_time>\n    <comment/>\n    <creation_time>${time}</creation_time>\n` +
    `    <host>${host.ip}<asset asset_id="${host.assetId}"/><hostname>${host.hostname}</hostname></host>\n` +
    `    <port>${nvt.port}</port>\n${nvt.xml}    <scan_nvt_version/>\n` +
    `    <threat>${nvt.threat}</threat>\n    <severity>${nvt.score}</severity>\n` +
    `    <qod><value>${qod}</value><type>remote_banner</type></qod>\n` +
    `    <description>${nvt.output(rng, host)}</description>\n` +
    `    <original_threat>${nvt.threat}</original_threat>\n    <original_severity>${nvt.score}</original_severity>\n` +
    `    <compliance>undefined</compliance>\n  </result>\n  `
  );
}

/** What the <host> summary after the results needs: result counts by threat and ports seen. */
interface HostTally {
  host: Host;
  end: number;
  byThreat: number[];
  ports: number;
}

function hostSummary({ host, end, byThreat, ports }: HostTally): string {
  const [cpe, os] = OSES[host.os]!;
  const page = (name: string, count: number) => `<${name}><page>${count}</page></${name}>`;
  return (
    `<host>\n    <ip>${host.ip}</ip>\n    <asset asset_id="${host.assetId}"/>\n` +
    `    <start>${iso(host.start)}</start>\n    <end>${iso(end)}</end>\n    <port_count><page>${ports}</page></port_count>\n` +
    `    <result_count><page>${byThreat.reduce((a, b) => a + b, 0)}</page>${THREATS.map((t, i) => page(t.toLowerCase(), byThreat[i]!)).join('')}${page('false_positive', 0)}</result_count>\n` +
    `    <detail><name>best_os_cpe</name><value>${cpe}</value><source><type>nvt</type><name>1.3.6.1.4.1.25623.1.0.105937</name></source></detail>\n` +
    `    <detail><name>best_os_txt</name><value>${os}</value><source><type>nvt</type><name>1.3.6.1.4.1.25623.1.0.105937</name></source></detail>\n` +
    (host.hostname ? `    <detail><name>hostname</name><value>${host.hostname}</value></detail>\n` : '') +
    '  </host>\n  '
  );
}

function reportHead(seed: number): string {
  const rng = new Rng(seed, D_REPORT, 0);
  const id = uuid(rng);
  return (
    `<report id="${id}" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5" extension="xml" content_type="text/xml">\n` +
    `<owner><name>admin</name></owner>\n<name>${iso(SCAN_START)}</name>\n<comment/>\n` +
    `<creation_time>${iso(SCAN_START)}</creation_time>\n<task id="${uuid(rng)}"><name>bench-full-and-fast</name></task>\n` +
    `<report_format id="a994b278-1f62-11e1-96ac-406186ea4fc5"><name>XML</name></report_format>\n` +
    `<report id="${id}">\n  <gmp><version>22.4</version></gmp>\n` +
    `  <sort><field>host<order>ascending</order></field></sort>\n` +
    `  <filters id=""><term>apply_overrides=0 min_qod=70 levels=chmlg rows=-1 first=1 sort=host</term></filters>\n` +
    `  <scan_run_status>Done</scan_run_status>\n  <timestamp>${iso(SCAN_START)}</timestamp>\n` +
    `  <scan_start>${iso(SCAN_START)}</scan_start>\n  <timezone>Coordinated Universal Time</timezone>\n` +
    `  <results start="1" max="-1">\n  `
  );
}

function reportTail(byThreat: readonly number[]): string {
  const total = byThreat.reduce((a, b) => a + b, 0);
  const count = (n: number) => `<full>${n}</full><filtered>${n}</filtered>`;
  return (
    `</results>\n  <result_count>${total}${count(total)}` +
    `${THREATS.map((t, i) => `<${t.toLowerCase()}>${count(byThreat[i]!)}</${t.toLowerCase()}>`).join('')}` +
    `<false_positive>${count(0)}</false_positive></result_count>\n  `
  );
}

const closing = (end: number) => `<scan_end>${iso(end)}</scan_end>\n</report>\n</report>\n`;
/** Room kept for the result counts and the end of the document, whatever the counts. */
const TAIL_BYTES = Buffer.byteLength(reportTail([1e9, 1e9, 1e9, 1e9, 1e9]) + closing(SCAN_START));

/**
 * Writes an OpenVAS XML report of about `bytes` bytes (never more) to `path`, and returns how many
 * results (= findings) and distinct hosts it holds. Same seed and size: the same file.
 */
export async function generateOpenvas(
  path: string,
  bytes: number,
  seed = 1,
): Promise<{ findings: number; hosts: number }> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const out = createWriteStream(path, { highWaterMark: 4 << 20 });
  const common = COMMON.map(commonNvt);
  const catalog: Nvt[] = [];
  const nvt = (i: number) => (catalog[i] ??= catalogNvt(seed, i));

  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  let written = 0;
  const write = async (text: string, length = Buffer.byteLength(text)) => {
    if (used + length > buffer.length) {
      if (used > 0 && !out.write(buffer.subarray(0, used))) await once(out, 'drain');
      buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, length));
      used = 0;
    }
    used += buffer.write(text, used);
    written += length;
  };

  await write(reportHead(seed));
  // Host summaries come after all results: keep their tallies, small, and their total size.
  const tallies: HostTally[] = [];
  let summaryBytes = 0;
  const byThreat = [0, 0, 0, 0, 0];
  let findings = 0;
  let end = SCAN_START;
  let full = false;

  for (let h = 0; !full; h++) {
    const host = hostOf(seed, h);
    const rng = new Rng(seed, D_RESULTS, h);
    const tally: HostTally = { host, end: host.start, byThreat: [0, 0, 0, 0, 0], ports: 0 };
    const picks = [
      ...common.filter(() => rng.chance(0.7)),
      ...Array.from({ length: rng.range(3, 60) }, () => nvt(rng.int(CATALOG_SIZE))),
    ];
    const ports = new Set<string>();
    // This host's summary is at most this long, whatever its counts end up being.
    const summaryBound = Buffer.byteLength(
      hostSummary({ ...tally, byThreat: [1e5, 1e5, 1e5, 1e5, 1e5], ports: 1e3 }),
    );
    for (const pick of picks) {
      tally.end += rng.range(2, 40) * 1000;
      const xml = resultXml(rng, pick, host, tally.end);
      const length = Buffer.byteLength(xml);
      if (written + length + summaryBytes + summaryBound + TAIL_BYTES > bytes) {
        full = true;
        break;
      }
      await write(xml, length);
      findings++;
      const level = THREATS.indexOf(pick.threat);
      tally.byThreat[level]!++;
      byThreat[level]!++;
      ports.add(pick.port);
      tally.ports = ports.size;
    }
    if (tally.ports > 0) {
      tallies.push(tally);
      summaryBytes += Buffer.byteLength(hostSummary(tally));
      end = Math.max(end, tally.end);
    }
  }

  await write(reportTail(byThreat));
  for (const tally of tallies) await write(hostSummary(tally));
  await write(closing(end));
  out.end(buffer.subarray(0, used));
  await finished(out);
  return { findings, hosts: tallies.length };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

runGeneratorCli(
  import.meta.url,
  'bench/src/generate-openvas.ts --size 200MB --out bench/out/openvas-200mb.xml',
  generateOpenvas,
);
