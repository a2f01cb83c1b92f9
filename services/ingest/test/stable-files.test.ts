import { describe, expect, it } from 'vitest';
import {
  type FileObservation,
  filesStoppedGrowing,
  fileVersionKey,
  isTemporaryName,
} from '../src/watched-folders/stable-files.ts';

const listing = (entries: Record<string, [number, number]>) =>
  new Map<string, FileObservation>(
    Object.entries(entries).map(([name, [size, mtimeMs]]) => [name, { size, mtimeMs }]),
  );

describe('watched folder: files that stopped growing', () => {
  it('given a file seen twice with the same size and mtime, then it is ready', () => {
    const before = listing({ 'a.csv': [100, 1000] });
    expect(filesStoppedGrowing(before, listing({ 'a.csv': [100, 1000] }))).toEqual(['a.csv']);
  });

  it('given a file that grew or was touched between two listings, then it waits', () => {
    const before = listing({ 'grew.csv': [100, 1000], 'touched.csv': [100, 1000] });
    const now = listing({ 'grew.csv': [200, 1000], 'touched.csv': [100, 2000] });
    expect(filesStoppedGrowing(before, now)).toEqual([]);
  });

  it('given a file seen for the first time, then it waits for the next listing', () => {
    expect(filesStoppedGrowing(new Map(), listing({ 'new.csv': [100, 1000] }))).toEqual([]);
  });

  it('tells files being written by their name (dot-files, .part, .tmp, ~) from reports', () => {
    for (const name of [
      '.scan.csv.Xy12',
      'scan.csv.part',
      'scan.csv.PARTIAL',
      'x.tmp',
      'x.crdownload',
      'x~',
    ]) {
      expect(isTemporaryName(name), name).toBe(true);
    }
    for (const name of ['scan_report.csv', 'report.nessus', 'partial-results.csv', 'tmp.csv']) {
      expect(isTemporaryName(name), name).toBe(false);
    }
  });

  it('keys a file version by size, mtime and name (another version is looked at again)', () => {
    expect(fileVersionKey('a|b.csv', { size: 1, mtimeMs: 2 })).toBe('1|2|a|b.csv');
    expect(fileVersionKey('a.csv', { size: 1, mtimeMs: 2 })).not.toBe(
      fileVersionKey('a.csv', { size: 1, mtimeMs: 3 }),
    );
  });
});
