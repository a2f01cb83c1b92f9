import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

export type FolderPathCheck = { kind: 'ok'; path: string } | { kind: 'invalid'; reason: string };

/**
 * A watched folder must be an absolute path to a directory this process can list, as seen by the ingest
 * target (in distributed mode: on the machine or pod that runs it, where the share is mounted).
 */
export async function checkFolderPath(path: string): Promise<FolderPathCheck> {
  if (!isAbsolute(path)) {
    return {
      kind: 'invalid',
      reason: `the path must be absolute (e.g. /mnt/scans), not ${JSON.stringify(path)}`,
    };
  }
  const normalised = resolve(path);
  const info = await stat(normalised).catch(() => undefined);
  if (!info)
    return {
      kind: 'invalid',
      reason: `${normalised} does not exist on the q2h server (or q2h may not see it)`,
    };
  if (!info.isDirectory()) return { kind: 'invalid', reason: `${normalised} is a file, not a directory` };
  try {
    await access(normalised, constants.R_OK | constants.X_OK);
    await readdir(normalised);
  } catch (error) {
    return {
      kind: 'invalid',
      reason: `q2h cannot list ${normalised}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    };
  }
  return { kind: 'ok', path: normalised };
}
