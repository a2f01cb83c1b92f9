// q2h's severity scale 5 … 1, named as Nessus, OpenVAS and Nuclei name theirs (critical … info), which map
// onto it one to one. Qualys's own names (5 Urgent, 4 Critical, 3 Serious, 2 Medium, 1 Minimal) sit one
// step off from every other scanner's, so one set of names serves all. Red (5) to blue-grey (1).

export const SEVERITIES = [5, 4, 3, 2, 1] as const;
export type SeverityLevel = (typeof SEVERITIES)[number];

export const SEVERITY_COLORS: Record<SeverityLevel, string> = {
  5: '#c62828',
  4: '#ef6c00',
  3: '#f9a825',
  2: '#1e88e5',
  1: '#78909c',
};

export const SEVERITY_LABELS: Record<SeverityLevel, string> = {
  5: 'Critical',
  4: 'High',
  3: 'Medium',
  2: 'Low',
  1: 'Info',
};

export function isSeverity(n: number): n is SeverityLevel {
  return Number.isInteger(n) && n >= 1 && n <= 5;
}

export function severityColor(n: number): string {
  return isSeverity(n) ? SEVERITY_COLORS[n] : '#9e9e9e';
}

export function severityLabel(n: number): string {
  return isSeverity(n) ? SEVERITY_LABELS[n] : `Severity ${n}`;
}

export function useSeverity() {
  return { SEVERITIES, severityColor, severityLabel };
}
