import type { VulnType } from '@q2h/contracts';

/** Nessus's 0–4 scale (the .nessus severity attribute) and its words, on q2h's 1–5. */
const BY_LEVEL = ['none', 'low', 'medium', 'high', 'critical'] as const;

/**
 * q2h severity of a Nessus level ("0".."4") or word: None/Info 1, Low 2, Medium 3, High 4, Critical 5.
 * Nessus CSV writes "None" in Risk, Tenable.sc "Info" in Severity. Undefined when it is neither.
 */
export function nessusSeverity(value: string): number | undefined {
  const text = value.trim().toLowerCase();
  if (/^[0-4]$/.test(text)) return Number(text) + 1;
  const word = text === 'info' || text === 'informational' ? 'none' : text;
  const level = BY_LEVEL.indexOf(word as (typeof BY_LEVEL)[number]);
  return level < 0 ? undefined : level + 1;
}

/** Severity 0 / None / Info is what the plugin found out about the host, not a flaw in it. */
export function nessusVulnType(severity: number): VulnType {
  return severity === 1 ? 'information' : 'vulnerability';
}
