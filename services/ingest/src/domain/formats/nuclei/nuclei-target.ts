import { isIP } from 'node:net';
import { type JsonObject, text } from './json-values.ts';

/** Where a Nuclei result was found: the asset (IP and/or host name), port, transport protocol. */
export interface NucleiTarget {
  ip: string;
  /** Lower-cased host name; '' when the target is only an IP address. */
  hostName: string;
  port: number | null;
  protocol: string;
  ssl: boolean;
}

/** Transport of each Nuclei protocol ("type"); file and code templates run locally and have none. */
const TRANSPORT: Readonly<Record<string, string>> = {
  http: 'tcp',
  headless: 'tcp',
  network: 'tcp',
  tcp: 'tcp',
  ssl: 'tcp',
  websocket: 'tcp',
  whois: 'tcp',
  javascript: 'tcp',
  dns: 'udp',
};

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443 };

/**
 * The target of a result, from the three generations of keys: `matched` (2021) / `matched-at`, `host`
 * (a URL, host:port or bare name; absent in issue_14071.json), `url`, `port`, `ip`. The port is the
 * one written in matched-at, else the `port` field, else one written in host or url, else the default
 * port of the scheme of the first of matched-at, host and url that is given.
 * Undefined when the result names no target at all (a DNS template run without a host name).
 */
export function nucleiTarget(result: JsonObject): NucleiTarget | undefined {
  const matched = endpointOf(text(result['matched-at']) || text(result.matched));
  const host = endpointOf(text(result.host));
  const url = endpointOf(text(result.url));
  const endpoints = [matched, host, url];

  let ip = text(result.ip).trim();
  const names = endpoints.map((e) => e.name).filter((name) => name !== '');
  if (!ip) ip = names.find((name) => isIP(name) !== 0) ?? '';
  const hostName = names.find((name) => isIP(name) === 0)?.toLowerCase() ?? '';
  if (!ip && !hostName) return undefined;

  // The scheme of where it matched: a network template's "name:22" is not https because its host was.
  const located = endpoints.find((e) => e.name) ?? url;
  const scheme = located.scheme || text(result.scheme).trim().toLowerCase();
  const port =
    matched.port ?? portNumber(text(result.port)) ?? host.port ?? url.port ?? DEFAULT_PORTS[scheme] ?? null;
  const type = text(result.type).toLowerCase();
  return {
    ip,
    hostName,
    port,
    protocol: TRANSPORT[type] ?? '',
    ssl: scheme === 'https' || scheme === 'wss' || type === 'ssl',
  };
}

interface Endpoint {
  scheme: string;
  name: string;
  port: number | null;
}

/**
 * "scheme://user@name:port/path", "name:port", "[v6]:port", a bare name or IPv6 address. The scheme may
 * follow a stray prefix: issue_14071.json writes url "/http://dvwa_dvwa_1/".
 */
function endpointOf(written: string): Endpoint {
  const value = written.trim();
  const at = value.indexOf('://');
  const prefix = value.slice(Math.max(0, at - 16), at);
  const scheme = at < 0 ? '' : (/[a-z][a-z\d+.-]*$/i.exec(prefix)?.[0].toLowerCase() ?? '');
  const rest = at < 0 ? value : value.slice(at + 3);
  const end = rest.search(/[/?#]/);
  const authority = (end < 0 ? rest : rest.slice(0, end)).replace(/^.*@/, '');
  const hostPort = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d+))?$/.exec(authority);
  if (!hostPort) return { scheme, name: authority, port: null }; // a bare IPv6 address
  return { scheme, name: hostPort[1] ?? hostPort[2] ?? '', port: portNumber(hostPort[3] ?? '') };
}

function portNumber(value: string): number | null {
  if (!/^\d{1,5}$/.test(value.trim())) return null;
  const port = Number(value);
  return port > 0 && port <= 65535 ? port : null;
}
