import { fileURLToPath } from 'node:url';

/** Shared fixtures are read in place from ../shared beside the repository, never copied. */
export const scansDir = fileURLToPath(new URL('../../../../shared/fixtures/scans/', import.meta.url));
export const fixture = (path: string) => `${scansDir}${path}`;
