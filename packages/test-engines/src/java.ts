import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Jdk {
  home: string;
  major: number;
}

function majorOf(home: string): number | undefined {
  const release = join(home, 'release');
  if (!existsSync(release) || !existsSync(join(home, 'bin', 'java'))) return undefined;
  const match = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(release, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

/**
 * The `java` binary of a JDK with at least `minMajor`: JAVA_HOME if it qualifies, else the oldest
 * qualifying JDK under /usr/lib/jvm (the machine's default 17 for Kafka, Temurin 25 for Apicurio).
 */
export function findJava(minMajor: number): string {
  const candidates: Jdk[] = [];
  const envHome = process.env['JAVA_HOME'];
  if (envHome) {
    const major = majorOf(envHome);
    if (major !== undefined && major >= minMajor) return join(envHome, 'bin', 'java');
  }
  const base = '/usr/lib/jvm';
  if (existsSync(base)) {
    for (const entry of readdirSync(base)) {
      const home = join(base, entry);
      const major = majorOf(home);
      if (major !== undefined && major >= minMajor) candidates.push({ home, major });
    }
  }
  candidates.sort((a, b) => a.major - b.major || a.home.localeCompare(b.home));
  const jdk = candidates[0];
  if (!jdk) throw new Error(`test-engines: no JDK >= ${minMajor} (looked at JAVA_HOME and /usr/lib/jvm)`);
  return join(jdk.home, 'bin', 'java');
}
