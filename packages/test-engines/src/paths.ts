import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/test-engines/src/paths.ts). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Where downloaded engines live between runs (git-ignored `.cache/`); Q2H_ENGINES_CACHE overrides it. */
export function enginesCacheDir(): string {
  return process.env['Q2H_ENGINES_CACHE'] ?? join(repoRoot, '.cache', 'engines');
}
