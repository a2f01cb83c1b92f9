import type { ParsedVulnerability } from '../../report-model.ts';
import { nessusVulnType } from './nessus-severity.ts';
import { cvesIn, cvssScoreOf, epssOf, referencesOf } from './nessus-values.ts';

/** What a report says about a plugin, as written (a .nessus ReportItem or a CSV row; '' when absent). */
export interface PluginFacts {
  id: string;
  name: string;
  family: string;
  /** q2h severity, 1–5. */
  severity: number;
  /** CVE cells or <cve> elements, however joined. */
  cves: readonly string[];
  /** Cross-reference cells or <xref> elements ("CERT:288308", "CWE #310"). */
  xrefs: readonly string[];
  cvss: string;
  cvssVector: string;
  cvss3: string;
  cvss3Vector: string;
  cvss4: string;
  cvss4Vector: string;
  epss: string;
  synopsis: string;
  description: string;
  solution: string;
  seeAlso: string;
}

/**
 * The vulnerability record of a Nessus plugin (source 'nessus', key = plugin ID, whichever export it
 * came from). Threat is the synopsis then the description; Nessus has no separate impact text; the
 * See Also links follow the solution.
 */
export function pluginVulnerability(plugin: PluginFacts): ParsedVulnerability {
  const seeAlso = plugin.seeAlso.trim();
  return {
    source: 'nessus',
    vulnKey: plugin.id,
    title: plugin.name,
    severity: plugin.severity,
    vulnType: nessusVulnType(plugin.severity),
    category: plugin.family,
    cves: [...new Set(plugin.cves.flatMap(cvesIn))],
    vendorReferences: referencesOf(plugin.xrefs),
    cvssBase: cvssScoreOf(plugin.cvss),
    // .nessus writes "CVSS2#AV:N/AC:M/…": the prefix is Nessus's own, not part of the vector.
    cvssVector: plugin.cvssVector.trim().replace(/^CVSS2#/, ''),
    cvss3Base: cvssScoreOf(plugin.cvss3),
    cvss3Vector: plugin.cvss3Vector.trim(),
    cvss4Base: cvssScoreOf(plugin.cvss4),
    cvss4Vector: plugin.cvss4Vector.trim(),
    epss: epssOf(plugin.epss),
    threat: [plugin.synopsis.trim(), plugin.description.trim()]
      .filter((text) => text.length > 0)
      .join('\n\n'),
    impact: '',
    solution: seeAlso
      ? `${plugin.solution.trim()}\n\nSee also:\n${seeAlso}`.trimStart()
      : plugin.solution.trim(),
    pciVuln: false,
  };
}

/** Plugin output without the blank lines Nessus puts around it (the first line's indentation is kept). */
export function pluginOutputOf(text: string): string {
  return text.replace(/^\s*\n/, '').trimEnd();
}
