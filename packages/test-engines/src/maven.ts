/**
 * Fetches engine artifacts from Maven Central with the machine's `mvn`, into a cache directory that a
 * second run reuses without touching the network: a small pom is generated per engine and
 * `dependency:copy-dependencies` copies the artifacts (and, unless `transitive` is false, their runtime
 * dependencies) into `<cache>/<name>/lib`. The directory is filled under a temporary name and renamed
 * when complete, so concurrent test workers never see half a download.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { enginesCacheDir } from './paths.ts';

const run = promisify(execFile);

export interface MavenArtifact {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
  readonly classifier?: string;
  readonly type?: string;
}

export interface FetchOptions {
  /** Copy the artifacts' runtime dependencies too (a classpath). Default true. */
  readonly transitive?: boolean;
}

function pomOf(name: string, artifacts: readonly MavenArtifact[], transitive: boolean): string {
  const dependency = (a: MavenArtifact) =>
    [
      '    <dependency>',
      `      <groupId>${a.groupId}</groupId>`,
      `      <artifactId>${a.artifactId}</artifactId>`,
      `      <version>${a.version}</version>`,
      a.classifier ? `      <classifier>${a.classifier}</classifier>` : '',
      a.type ? `      <type>${a.type}</type>` : '',
      transitive
        ? ''
        : '      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>',
      '    </dependency>',
    ]
      .filter(Boolean)
      .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>q2h.test-engines</groupId>
  <artifactId>${name}</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${artifacts.map(dependency).join('\n')}
  </dependencies>
</project>
`;
}

/**
 * Returns `<cache>/<name>/lib` holding the artifacts (jar, tar.gz, ...). `name` must change when the
 * artifact list changes (put the versions in it): a complete directory is never fetched again.
 */
export async function fetchMavenArtifacts(
  name: string,
  artifacts: readonly MavenArtifact[],
  options: FetchOptions = {},
): Promise<string> {
  const root = enginesCacheDir();
  const dir = join(root, name);
  const lib = join(dir, 'lib');
  if (existsSync(lib)) return lib;

  mkdirSync(root, { recursive: true });
  const work = join(root, `.${name}.${process.pid}.${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(join(work, 'pom.xml'), pomOf(name, artifacts, options.transitive ?? true));
    try {
      await run(
        'mvn',
        [
          '-q',
          '-B',
          '-f',
          join(work, 'pom.xml'),
          'dependency:copy-dependencies',
          `-DoutputDirectory=${join(work, 'lib')}`,
          '-DincludeScope=runtime',
        ],
        { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 },
      );
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `test-engines: mvn could not fetch ${name}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
      );
    }
    if (readdirSync(join(work, 'lib')).length === 0)
      throw new Error(`test-engines: mvn fetched nothing for ${name}`);
    try {
      renameSync(work, dir);
    } catch (error) {
      // Another worker completed the same download first: use theirs.
      if (!existsSync(lib)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return lib;
}
