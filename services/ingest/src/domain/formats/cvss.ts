import type { ParsedVulnerability } from '../report-model.ts';

/** A vulnerability's CVSS scores and vectors, one pair per version. */
export type Cvss = Pick<
  ParsedVulnerability,
  'cvssBase' | 'cvssVector' | 'cvss3Base' | 'cvss3Vector' | 'cvss4Base' | 'cvss4Vector'
>;

export const NO_CVSS: Cvss = {
  cvssBase: null,
  cvssVector: '',
  cvss3Base: null,
  cvss3Vector: '',
  cvss4Base: null,
  cvss4Vector: '',
};

/**
 * `cvss` with `score` filed under the version its vector names ("CVSS:4.0/…", "CVSS:3.1/…"); a vector
 * without a prefix is CVSS 2, and so is none unless `unprefixed` says otherwise.
 */
export function withCvss(
  cvss: Cvss,
  score: number | null,
  vector: string,
  unprefixed: 'v2' | 'v3' = 'v2',
): Cvss {
  if (vector.startsWith('CVSS:4')) return { ...cvss, cvss4Base: score, cvss4Vector: vector };
  if (vector.startsWith('CVSS:3') || (vector === '' && unprefixed === 'v3')) {
    return { ...cvss, cvss3Base: score, cvss3Vector: vector };
  }
  return { ...cvss, cvssBase: score, cvssVector: vector };
}
