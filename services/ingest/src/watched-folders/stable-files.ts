/** What one listing of a watched folder saw of a file. */
export interface FileObservation {
  readonly size: number;
  /** Whole milliseconds: sub-millisecond digits differ between stat calls on some network mounts. */
  readonly mtimeMs: number;
}

/**
 * The files that stopped growing: present in both listings with the same size and modification time.
 * A copy onto a share grows (or at least touches its mtime) between two listings; a file seen only once
 * waits for the next listing, so the earliest a file is imported is one interval after it appeared.
 */
export function filesStoppedGrowing(
  previous: ReadonlyMap<string, FileObservation>,
  current: ReadonlyMap<string, FileObservation>,
): string[] {
  const ready: string[] = [];
  for (const [name, now] of current) {
    const before = previous.get(name);
    if (before && before.size === now.size && before.mtimeMs === now.mtimeMs) ready.push(name);
  }
  return ready;
}

/**
 * Names that are a file in the making, by the conventions of the tools that copy reports in: dot-files
 * (rsync's `.name.XXXXXX`), partial downloads (`.part`, `.partial`, `.crdownload`, `.tmp`), editors'
 * backups (`~`). Writers that cannot keep a file from growing for a whole interval should use one of
 * these while writing and rename when done.
 */
export function isTemporaryName(name: string): boolean {
  return (
    name.startsWith('.') || name.endsWith('~') || /\.(part|partial|crdownload|tmp|filepart)$/i.test(name)
  );
}

/** The key of one version of a file: another size or mtime is another version, to be looked at again. */
export function fileVersionKey(name: string, observation: FileObservation): string {
  return `${observation.size}|${observation.mtimeMs}|${name}`;
}
