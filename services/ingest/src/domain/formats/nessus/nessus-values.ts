/** How Nessus and Tenable.sc write scores, CVE and reference lists, and dates (XML and CSV alike). */

/**
 * A CVSS base score: "7.5", or "75" when an export lost its decimal points (nessus-template.csv writes
 * 5.0 as "50" and 10.0 as "100"). Scores have one decimal, so an integer above 10 is read in tenths;
 * "10" stays 10.0, the reading every export with decimal points needs.
 */
export function cvssScoreOf(cell: string): number | null {
  const text = cell.trim();
  if (!/^\d+(?:\.\d+)?$/.test(text)) return null;
  const value = Number(text);
  const score = !text.includes('.') && value > 10 ? value / 10 : value;
  return score <= 10 ? score : null;
}

/** An EPSS probability 0..1: "0.3833", or "3833" when the decimal point was lost (nessus-template.csv). */
export function epssOf(cell: string): number | null {
  const text = cell.trim();
  if (/^\d+$/.test(text) && Number(text) > 1) return Number(`0.${text}`);
  if (!/^\d*\.?\d+$/.test(text)) return null;
  const value = Number(text);
  return value <= 1 ? value : null;
}

/** CVE ids in a cell however they are joined ("CVE-2013-2566,CVE-2015-2808", one per line…). */
export function cvesIn(text: string): string[] {
  return (text.match(/CVE-\d{4}-\d+/gi) ?? []).map((cve) => cve.toUpperCase());
}

/** Cross references joined one way: "CERT:288308;CWE:16" (CSV) and repeated <xref> both give "CERT:288308, CWE:16". */
export function referencesOf(items: readonly string[]): string {
  return items
    .flatMap((item) => item.split(/[;,\n]/))
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .join(', ');
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Hours from UTC of the zone names Tenable.sc prints (its server's zone: "Jan 5, 2021 10:24:08 MST"). */
const ZONE_HOURS: Readonly<Record<string, number>> = {
  UTC: 0,
  GMT: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
  AKST: -9,
  AKDT: -8,
  HST: -10,
  CET: 1,
  CEST: 2,
};

/** .nessus HOST_START / HOST_END: "Mon Jul  1 11:40:48 2013", the scanner's local time with no zone: read as UTC. */
export function nessusHostDate(value: string): number | null {
  const match = /^[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(
    value.trim(),
  );
  if (!match) return null;
  const [, month = '', day, h, m, s, year] = match;
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (monthIndex < 0) return null;
  return Date.UTC(Number(year), monthIndex, Number(day), Number(h), Number(m), Number(s));
}

/** Tenable.sc "Jan 5, 2021 10:24:08 MST" (zone honoured; no zone: UTC; a zone it does not know: null). */
export function tenableScDate(value: string): number | null {
  const match = /^([A-Za-z]{3})\s+(\d{1,2}),\s*(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+([A-Za-z]+))?$/.exec(
    value.trim(),
  );
  if (!match) return null;
  const [, month = '', day, year, h, m, s, zone] = match;
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  const offsetHours = zone === undefined ? 0 : ZONE_HOURS[zone.toUpperCase()];
  if (monthIndex < 0 || offsetHours === undefined) return null;
  const local = Date.UTC(Number(year), monthIndex, Number(day), Number(h), Number(m), Number(s));
  return local - offsetHours * 3_600_000;
}

/** True for an IPv4 or IPv6 address (a .nessus ReportHost name or a CSV Host may be either, or a host name). */
export function isIpAddress(value: string): boolean {
  return /^\d{1,3}(?:\.\d{1,3}){3}$/.test(value) || (value.includes(':') && /^[0-9a-f:.]+$/i.test(value));
}
