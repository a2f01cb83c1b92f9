import { computed } from 'vue';
import { type LocationQuery, useRoute, useRouter } from 'vue-router';
import { isSeverity, SEVERITIES, type SeverityLevel } from './use-severity';

const ALL: SeverityLevel[] = [...SEVERITIES];

function first(v: LocationQuery[string] | undefined): string | null {
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

export function parseSeverities(raw: string | null): SeverityLevel[] {
  if (!raw) return [...ALL];
  const set = new Set<SeverityLevel>();
  for (const part of raw.split(',')) {
    const n = Number(part.trim());
    if (isSeverity(n)) set.add(n);
  }
  return set.size === 0 ? [...ALL] : [...set].sort((a, b) => b - a);
}

/** Overview filters, kept in the URL query (`?severities=4,5&report=<importId>`). */
export function useOverviewFilters() {
  const route = useRoute();
  const router = useRouter();

  const severities = computed<SeverityLevel[]>(() => parseSeverities(first(route.query['severities'])));
  const report = computed<string | null>(() => first(route.query['report']) || null);

  function update(patch: { severities?: readonly number[]; report?: string | null }): void {
    const query: Record<string, string> = {};
    const sev = (patch.severities ?? severities.value).filter(isSeverity);
    if (sev.length > 0 && sev.length < ALL.length) {
      query['severities'] = [...new Set(sev)].sort((a, b) => a - b).join(',');
    }
    const rep = patch.report === undefined ? report.value : patch.report;
    if (rep) query['report'] = rep;
    void router.replace({ query });
  }

  return {
    severities,
    report,
    setSeverities: (s: readonly number[]) => update({ severities: s }),
    setReport: (r: string | null) => update({ report: r }),
    reset: () => update({ severities: ALL, report: null }),
  };
}
