import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { createMetrics } from '@q2h/platform';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { type IIngress, Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { type IPodDisruptionBudget, PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  type IConfigMap,
  type ISecret,
  type IService,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  findHelm,
  type Helm,
  helm,
  type Manifest,
  parseManifests,
  readRepoFile,
  repoRoot,
  run,
} from './tools.ts';

// What `deploy/` promises, checked without a Docker engine, a cluster or the network (see
// deploy/README.md, "What is validated here").

const TARGETS = ['gateway', 'ingest', 'projector', 'query', 'export'] as const;
/** The distributed-mode environment contract (deploy/README.md). */
const CONTRACT = [
  'Q2H_TARGETS',
  'Q2H_KAFKA_BROKERS',
  'Q2H_SCHEMA_REGISTRY_URL',
  'Q2H_CLICKHOUSE_URL',
  'Q2H_POSTGRES_URL',
  'Q2H_OIDC_ISSUER',
  'Q2H_OIDC_CLIENT_ID',
  'Q2H_OIDC_CLIENT_SECRET',
  'Q2H_OIDC_AUDIENCE',
];
const SECRET_VARS = ['Q2H_CLICKHOUSE_URL', 'Q2H_POSTGRES_URL', 'Q2H_OIDC_CLIENT_SECRET'];
const require = createRequire(import.meta.url);

describe('deploy/README.md', () => {
  it('lists every variable of the env contract', () => {
    const readme = readRepoFile('deploy/README.md');
    for (const name of CONTRACT) expect(readme, name).toContain(`\`${name}\``);
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
}
interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

describe('docker-compose.yml', () => {
  const text = readRepoFile('docker-compose.yml');
  const compose = parseYaml(text, { merge: true }) as ComposeFile;
  const services = compose.services;

  it('is valid against the Compose Specification schema', () => {
    // dclint ships the compose-spec JSON schema (schemas/compose.schema.json).
    const schemaPath = join(
      dirname(require.resolve('dclint/package.json')),
      'schemas',
      'compose.schema.json',
    );
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
    const ajv = new Ajv({
      allErrors: true,
      strict: false,
      allowUnionTypes: true,
      validateFormats: false,
      // The schema names its draft by an https URL ajv does not register; the draft is 07.
      validateSchema: false,
    });
    const valid = ajv.validate(schema, compose);
    expect(ajv.errors ?? [], ajv.errorsText(ajv.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it("passes dclint's correctness and security rules", () => {
    const linter = new DCLinter({
      quiet: true,
      debug: false,
      exclude: [],
      rules: {
        'no-duplicate-container-names': 2,
        'no-duplicate-exported-ports': 2,
        'no-quotes-in-volumes': 2,
        'no-unbound-port-interfaces': 2,
        'no-version-field': 2,
        'require-project-name-field': 2,
        'require-quotes-in-ports': [2, { quoteType: 'double' }], // biome formats YAML with double quotes
        'service-container-name-regex': 2,
        'service-image-require-explicit-tag': 2,
        // The five q2h services build one image and name it: build + image is intended.
        'no-build-and-image': 0,
        // Ordering is style, not correctness.
        'service-dependencies-alphabetical-order': 0,
        'service-keys-order': 0,
        'service-ports-alphabetical-order': 0,
        'services-alphabetical-order': 0,
        'top-level-properties-order': 0,
      },
    });
    const [result] = linter.lintFiles([join(repoRoot, 'docker-compose.yml')], false);
    expect(
      result?.messages.map(
        (m: { rule: string; line: number; message: string }) => `${m.rule} (line ${m.line}): ${m.message}`,
      ),
    ).toEqual([]);
  });

  it('is accepted by `docker compose config`', (ctx) => {
    const version = spawnQuiet('docker', ['compose', 'version']);
    if (version?.status !== 0) {
      ctx.skip('the docker compose plugin is not installed here (the docker CLI alone cannot check it)');
    }
    const config = run('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--quiet']);
    expect(config.stderr).toBe('');
    expect(config.status).toBe(0);
  });

  it('runs the five targets as processes of one image, each with the whole env contract', () => {
    const images = new Set<string | undefined>();
    for (const target of TARGETS) {
      const service = services[target];
      expect(service, target).toBeDefined();
      images.add(service?.image);
      expect(service?.build?.dockerfile).toBe('deploy/docker/Dockerfile');
      expect(existsSync(join(repoRoot, service?.build?.context ?? '?', 'deploy/docker/Dockerfile'))).toBe(
        true,
      );
      expect(service?.environment?.['Q2H_TARGETS'], target).toBe(target);
      expect(Object.keys(service?.environment ?? {})).toEqual(expect.arrayContaining(CONTRACT));
      expect(service?.healthcheck?.test.join(' '), target).toContain('/readyz');
      for (const backend of ['kafka', 'schema-registry', 'clickhouse', 'postgres']) {
        expect(service?.depends_on?.[backend]?.condition, `${target} → ${backend}`).toBe('service_healthy');
      }
    }
    expect(images.size).toBe(1);
    expect(services['gateway']?.depends_on?.['keycloak']?.condition).toBe('service_healthy');
    // The gateway is the only public entry among the targets.
    expect(TARGETS.filter((t) => services[t]?.ports?.length)).toEqual(['gateway']);
  });

  it('has every backend of the architecture, on pinned images', () => {
    const expected: Record<string, RegExp> = {
      kafka: /^apache\/kafka:\d+\.\d+\.\d+$/,
      'schema-registry': /^apicurio\/apicurio-registry:3\.\d+\.\d+$/,
      clickhouse: /^clickhouse\/clickhouse-server:\d+\.\d+\.\d+\.\d+$/,
      postgres: /^postgres:\d+\.\d+(-[a-z]+)?$/,
      keycloak: /^quay\.io\/keycloak\/keycloak:26\.\d+\.\d+$/,
      prometheus: /^prom\/prometheus:v\d+\.\d+\.\d+$/,
      grafana: /^grafana\/grafana:\d+\.\d+\.\d+$/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      expect(services[name]?.image, name).toMatch(pattern);
    }
    expect(services['kafka']?.environment?.['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(services['keycloak']?.command).toContain('--import-realm');
  });

  it('waits only for services that have a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(
            services[dependency]?.healthcheck,
            `${dependency} (needed healthy by ${name})`,
          ).toBeDefined();
        }
      }
      expect(service.healthcheck, `${name} has a health check`).toBeDefined();
    }
  });

  it('mounts files that exist and declares its named volumes', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./')) {
          if (source === './deploy/keycloak') {
            // The realm export is another piece of work; when it is there it must be this file.
            if (existsSync(join(repoRoot, source))) {
              expect(readdirSync(join(repoRoot, source))).toContain('q2h-realm.json');
            }
            continue;
          }
          expect(existsSync(join(repoRoot, source)), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(compose.volumes ?? {}, `${name} uses volume ${source}`).toHaveProperty(source);
        }
      }
    }
  });

  it('has Prometheus scrape every target and load the alert rules', () => {
    const prometheus = parseYaml(readRepoFile('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        metrics_path?: string;
        static_configs: { targets: string[]; labels?: Record<string, string> }[];
      }[];
    };
    const q2h = prometheus.scrape_configs.find((c) => c.job_name === 'q2h');
    const scraped = q2h?.static_configs.flatMap((c) => c.targets.map((t) => `${c.labels?.['target']}=${t}`));
    expect(scraped?.sort()).toEqual(TARGETS.map((t) => `${t}=${t}:8080`).sort());
    expect(q2h?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    expect(services['prometheus']?.volumes).toContain('./deploy/prometheus/rules:/etc/prometheus/rules:ro');
    expect(readdirSync(join(repoRoot, 'deploy/prometheus/rules'))).toContain('q2h-alerts.yml');
  });

  it('provisions Grafana with the Prometheus datasource and the q2h dashboard', () => {
    const datasources = parseYaml(readRepoFile('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { type: string; url: string }[];
    };
    expect(datasources.datasources).toContainEqual(
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    );
    const providers = parseYaml(readRepoFile('deploy/grafana/provisioning/dashboards/q2h.yml')) as {
      providers: { options: { path: string } }[];
    };
    const path = providers.providers[0]?.options.path;
    expect(services['grafana']?.volumes).toContain(`./deploy/grafana/dashboards:${path}:ro`);
  });
});

function spawnQuiet(command: string, args: string[]) {
  try {
    return run(command, args);
  } catch {
    return undefined; // not installed
  }
}

// ---------------------------------------------------------------------------------------------
// deploy/docker/Dockerfile and .dockerignore

describe('deploy/docker/Dockerfile', () => {
  const source = readRepoFile('deploy/docker/Dockerfile');
  const dockerfile = DockerfileParser.parse(source);
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const finalStageStart = froms.at(-1)?.getRange().start.line ?? 0;
  const finalStage = instructions.filter((i) => i.getRange().start.line >= finalStageStart);
  const args = new Map(
    dockerfile
      .getInitialARGs()
      .map((arg) => [arg.getProperty()?.getName() ?? '', arg.getProperty()?.getValue() ?? ''] as const),
  );
  const resolve = (image: string) =>
    image.replace(/^\$\{(\w+)\}$/, (_all, name: string) => args.get(name) ?? '');
  const keyword = (list: Instruction[], word: string) => list.filter((i) => i.getKeyword() === word);

  it('has no problem dockerfile-utils can find', () => {
    expect(validateDockerfile(source)).toEqual([]);
  });

  it('is multi-stage on a pinned node:20 slim image', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const stages = new Set(froms.map((f) => f.getBuildStage()));
    for (const from of froms) {
      const image = resolve(from.getImageName() ?? '');
      if (stages.has(image)) continue; // FROM an earlier stage
      expect(image).toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim$/);
    }
  });

  it('installs with npm ci, builds the web, and ships the result without dev dependencies', () => {
    const runs = keyword(instructions, 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(runs.some((r) => /(^|&& )npm ci( |$)/.test(r))).toBe(true);
    expect(runs.some((r) => r.includes('npm run build -w @q2h/web'))).toBe(true);
    expect(runs.some((r) => r.includes('npm ci --omit=dev'))).toBe(true);
    const copies = keyword(finalStage, 'COPY') as Copy[];
    expect(copies.map((c) => c.getArgumentsContent())).toContain('/app/web/dist/ ./web/dist/');
  });

  it('copies only what exists in the build context and .dockerignore keeps', () => {
    const ignore = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', 'data', 'bench/out', '**/.cache']));
    for (const copy of keyword(instructions, 'COPY') as Copy[]) {
      if (copy.getFromFlag()) continue;
      const sources = (copy.getArguments() ?? []).slice(0, -1).map((a) => a.getValue().replace(/\/$/, ''));
      for (const path of sources) {
        if (path === '.') continue;
        expect(existsSync(join(repoRoot, path)), path).toBe(true);
        expect(ignore, path).not.toContain(path);
      }
    }
  });

  it('runs as a non-root user, with a health check, the gateway main and the target from the env', () => {
    const user = keyword(finalStage, 'USER').at(-1)?.getArgumentsContent() ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(keyword(finalStage, 'HEALTHCHECK').at(-1)?.getArgumentsContent()).toContain('/healthz');
    expect(keyword(finalStage, 'EXPOSE').map((i) => i.getArgumentsContent())).toContain('8080');
    expect(JSON.parse(keyword(finalStage, 'CMD').at(-1)?.getArgumentsContent() ?? '[]')).toEqual([
      'node',
      '--import',
      'tsx',
      'services/auth-gateway/src/main.ts',
    ]);
    const env = keyword(finalStage, 'ENV')
      .map((i) => i.getArgumentsContent() ?? '')
      .join(' ');
    expect(env).toMatch(/Q2H_TARGETS=all/);
    expect(env).toMatch(/Q2H_PORT=8080/);
  });
});

// ---------------------------------------------------------------------------------------------
// deploy/helm/q2h

const CHART = 'deploy/helm/q2h';
const VALUE_SETS = [
  'defaults',
  ...readdirSync(join(repoRoot, CHART, 'ci')).filter((f) => f.endsWith('.yaml')),
];

/** Schema validation of one manifest, by apiVersion/kind. */
const VALIDATORS: Record<string, (manifest: unknown) => void> = {
  'v1/ConfigMap': (m) => new ConfigMap(m as IConfigMap).validate(),
  'v1/Secret': (m) => new Secret(m as ISecret).validate(),
  'v1/Service': (m) => new Service(m as IService).validate(),
  'v1/ServiceAccount': (m) =>
    new ServiceAccount(m as ConstructorParameters<typeof ServiceAccount>[0]).validate(),
  'apps/v1/Deployment': (m) => new Deployment(m as IDeployment).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (m) =>
    new HorizontalPodAutoscaler(m as IHorizontalPodAutoscaler).validate(),
  'policy/v1/PodDisruptionBudget': (m) => new PodDisruptionBudget(m as IPodDisruptionBudget).validate(),
  'networking.k8s.io/v1/Ingress': (m) => new Ingress(m as IIngress).validate(),
  'monitoring.coreos.com/v1/ServiceMonitor': (m) =>
    new ServiceMonitor(m as ConstructorParameters<typeof ServiceMonitor>[0]).validate(),
  'monitoring.coreos.com/v1/PrometheusRule': (m) =>
    new PrometheusRule(m as ConstructorParameters<typeof PrometheusRule>[0]).validate(),
};

describe(CHART, () => {
  let found: Helm = { kind: 'unavailable', reason: 'not looked for yet' };
  const rendered = new Map<string, Manifest[]>();

  beforeAll(() => {
    found = findHelm();
    if (found.kind !== 'ok') return;
    for (const set of VALUE_SETS) {
      const values = set === 'defaults' ? [] : ['-f', join(CHART, 'ci', set)];
      const result = helm(found.bin, ['template', 'q2h', CHART, '--namespace', 'q2h', ...values]);
      if (result.status !== 0) throw new Error(`helm template (${set}) failed:\n${result.stderr}`);
      rendered.set(set, parseManifests(result.stdout));
    }
  }, 120_000);

  const helmOrSkip = (ctx: TestContext) => {
    if (found.kind !== 'ok') ctx.skip(found.reason);
    return found.kind === 'ok' ? found.bin : '';
  };
  const manifests = (set: string) => rendered.get(set) ?? [];
  const ofKind = <T>(set: string, kind: string) =>
    manifests(set).filter((m) => m.kind === kind) as unknown as T[];
  const byName = <T extends Manifest>(list: T[]) => new Map(list.map((m) => [m.metadata.name, m]));

  it('passes `helm lint --strict` with the defaults and every ci/*-values.yaml', (ctx) => {
    const bin = helmOrSkip(ctx);
    for (const set of VALUE_SETS) {
      const values = set === 'defaults' ? [] : ['-f', join(CHART, 'ci', set)];
      const lint = helm(bin, ['lint', '--strict', CHART, ...values]);
      expect(lint.status, `${set}:\n${lint.stdout}${lint.stderr}`).toBe(0);
    }
  });

  it('refuses values that break values.schema.json', (ctx) => {
    const bin = helmOrSkip(ctx);
    const bad = helm(bin, ['template', 'q2h', CHART, '--set', 'targets.gateway.replicaCount=two']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('/targets/gateway/replicaCount');
  });

  it.for(VALUE_SETS)(
    'renders manifests that are valid Kubernetes / Prometheus Operator objects (%s)',
    (set, ctx) => {
      helmOrSkip(ctx);
      expect(manifests(set).length).toBeGreaterThan(0);
      for (const manifest of manifests(set)) {
        const key = `${manifest.apiVersion}/${manifest.kind}`;
        const validate = VALIDATORS[key];
        expect(validate, `no schema known for ${key}`).toBeDefined();
        expect(() => validate?.(manifest), `${key} ${manifest.metadata.name}`).not.toThrow();
      }
    },
  );

  it.for(VALUE_SETS)(
    'runs each enabled target as a Deployment with probes, resources and the env contract (%s)',
    (set, ctx) => {
      helmOrSkip(ctx);
      const deployments = ofKind<IDeployment & Manifest>(set, 'Deployment');
      const services = byName(ofKind<IService & Manifest>(set, 'Service'));
      const configMap = ofKind<IConfigMap & Manifest>(set, 'ConfigMap').find((c) =>
        c.metadata.name.endsWith('-config'),
      );
      const secret = ofKind<ISecret & Manifest>(set, 'Secret')[0];
      const enabled = set === 'full-values.yaml' ? TARGETS.filter((t) => t !== 'export') : [...TARGETS];
      expect(deployments.map((d) => d.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual(
        [...enabled].sort(),
      );
      for (const deployment of deployments) {
        const target = deployment.metadata.labels?.['app.kubernetes.io/component'] ?? '';
        const pod = deployment.spec?.template.spec;
        const container = pod?.containers[0];
        expect(container?.env).toContainEqual({ name: 'Q2H_TARGETS', value: target });
        expect(container?.ports).toContainEqual({ name: 'http', containerPort: 8080, protocol: 'TCP' });
        expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(container?.resources?.requests?.['memory']).toBeDefined();
        expect(container?.resources?.limits?.['memory']).toBeDefined();
        expect(pod?.securityContext?.runAsNonRoot).toBe(true);
        expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
        // The env contract: the target's own variable, the ConfigMap's and the Secret's keys.
        const fromConfigMap = container?.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name;
        const fromSecret = container?.envFrom?.find((e) => e.secretRef)?.secretRef?.name;
        expect(fromConfigMap).toBe(configMap?.metadata.name);
        if (secret) {
          expect(fromSecret).toBe(secret.metadata.name);
          expect(Object.keys(secret.stringData ?? {}).sort()).toEqual([...SECRET_VARS].sort());
        } else {
          expect(fromSecret).toBe('q2h-external'); // ci/full-values.yaml: secret.existingSecret
        }
        const configKeys = Object.keys(configMap?.data ?? {});
        expect(['Q2H_TARGETS', ...configKeys, ...SECRET_VARS]).toEqual(expect.arrayContaining(CONTRACT));
        expect(configKeys.filter((k) => SECRET_VARS.includes(k))).toEqual([]);
        // Its Service selects exactly its pods.
        const service = services.get(deployment.metadata.name);
        expect(service?.spec?.ports).toContainEqual({
          name: 'http',
          port: 8080,
          targetPort: 'http',
          protocol: 'TCP',
        });
        expect(service?.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
        expect(deployment.spec?.template.metadata?.labels).toMatchObject(
          deployment.spec?.selector.matchLabels ?? {},
        );
        for (const other of deployments.filter((d) => d !== deployment)) {
          expect(other.spec?.template.metadata?.labels).not.toMatchObject(service?.spec?.selector ?? {});
        }
      }
    },
  );

  it.for(VALUE_SETS)(
    'autoscales gateway, ingest and query, and guards every target with a PDB (%s)',
    (set, ctx) => {
      helmOrSkip(ctx);
      const deployments = byName(ofKind<IDeployment & Manifest>(set, 'Deployment'));
      const hpas = ofKind<IHorizontalPodAutoscaler & Manifest>(set, 'HorizontalPodAutoscaler');
      expect(hpas.map((h) => h.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual([
        'gateway',
        'ingest',
        'query',
      ]);
      for (const hpa of hpas) {
        expect(hpa.spec?.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
        const deployment = deployments.get(hpa.spec?.scaleTargetRef.name ?? '');
        expect(deployment, hpa.metadata.name).toBeDefined();
        expect(
          deployment?.spec?.replicas,
          'an autoscaled Deployment leaves replicas to the HPA',
        ).toBeUndefined();
      }
      const pdbs = ofKind<IPodDisruptionBudget & Manifest>(set, 'PodDisruptionBudget');
      expect(pdbs.length).toBe(deployments.size);
      for (const pdb of pdbs) {
        expect(deployments.get(pdb.metadata.name)?.spec?.selector.matchLabels).toEqual(
          pdb.spec?.selector?.matchLabels,
        );
      }
    },
  );

  it('exposes the gateway through the Ingress, and wires metrics, alerts and the dashboard', (ctx) => {
    helmOrSkip(ctx);
    const set = 'full-values.yaml';
    const [ingress] = ofKind<IIngress & Manifest>(set, 'Ingress');
    const backends = ingress?.spec?.rules?.flatMap((r) => r.http?.paths.map((p) => p.backend.service) ?? []);
    expect(backends).toEqual([{ name: 'q2h-gateway', port: { name: 'http' } }]);
    expect(ofKind(set, 'Ingress')).toHaveLength(1);
    expect(ofKind('default-values.yaml', 'Ingress')).toHaveLength(0);

    const [monitor] = ofKind<
      Manifest & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          endpoints: { port: string; path: string; relabelings: { targetLabel: string }[] }[];
        };
      }
    >(set, 'ServiceMonitor');
    for (const service of ofKind<IService & Manifest>(set, 'Service')) {
      expect(service.metadata.labels).toMatchObject(monitor?.spec.selector.matchLabels ?? { none: 'x' });
    }
    expect(monitor?.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    expect(monitor?.spec.endpoints[0]?.relabelings.map((r) => r.targetLabel)).toContain('target');

    const [rule] = ofKind<Manifest & { spec: { groups: unknown } }>(set, 'PrometheusRule');
    const rulesFile = parseYaml(readRepoFile('deploy/prometheus/rules/q2h-alerts.yml')) as {
      groups: unknown;
    };
    expect(rule?.spec.groups).toEqual(rulesFile.groups);

    for (const valueSet of VALUE_SETS) {
      const dashboards = ofKind<IConfigMap & Manifest>(valueSet, 'ConfigMap').filter(
        (c) => c.data?.['q2h.json'],
      );
      expect(dashboards, valueSet).toHaveLength(1);
      expect(dashboards[0]?.metadata.labels?.['grafana_dashboard']).toBe('1');
      expect(JSON.parse(dashboards[0]?.data?.['q2h.json'] ?? '{}')).toEqual(
        JSON.parse(readRepoFile('deploy/grafana/dashboards/q2h.json')),
      );
    }
    expect(ofKind('default-values.yaml', 'ServiceMonitor')).toHaveLength(0);
    expect(ofKind('default-values.yaml', 'PrometheusRule')).toHaveLength(0);
  });

  it('encodes database credentials in the URLs it puts in the Secret', (ctx) => {
    helmOrSkip(ctx);
    const [secret] = ofKind<ISecret & Manifest>('default-values.yaml', 'Secret');
    const postgres = new URL(secret?.stringData?.['Q2H_POSTGRES_URL'] ?? '');
    expect(decodeURIComponent(postgres.password)).toBe('p@ss word/with:specials');
    expect(postgres.host).toBe('postgres:5432');
    expect(postgres.pathname).toBe('/q2h');
    const clickhouse = new URL(secret?.stringData?.['Q2H_CLICKHOUSE_URL'] ?? '');
    expect([clickhouse.username, clickhouse.password, clickhouse.host]).toEqual([
      'q2h',
      'ch-secret',
      'clickhouse:8123',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Alert rules and the Grafana dashboard: PromQL that parses and names metrics q2h exports.

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Metric names q2h exposes (packages/platform/src/metrics.ts), histograms with their series. */
async function exportedMetricNames(): Promise<Set<string>> {
  const names = new Set<string>(['up']);
  for (const { name, type } of await createMetrics().registry.getMetricsAsJSON()) {
    names.add(name);
    if (String(type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Parse errors (as positions) and the metric names a PromQL expression selects. */
function parsePromQL(expr: string): { errors: number[]; metrics: string[] } {
  const errors: number[] = [];
  const metrics: string[] = [];
  promqlParser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.push(expr.slice(node.from, node.to));
      }
    },
  });
  return { errors, metrics };
}

describe('alert rules and dashboard', () => {
  let known = new Set<string>();
  beforeAll(async () => {
    known = await exportedMetricNames();
  });
  const rules = (
    parseYaml(readRepoFile('deploy/prometheus/rules/q2h-alerts.yml')) as { groups: { rules: AlertRule[] }[] }
  ).groups.flatMap((g) => g.rules);

  it('alert on consumer lag, failed imports, 5xx, projection latency and DLQ growth', () => {
    const byMetric = (metric: string) => rules.filter((r) => r.expr.includes(metric)).map((r) => r.alert);
    expect(byMetric('q2h_projection_lag_records')).not.toEqual([]);
    expect(rules.find((r) => r.expr.includes('q2h_imports_finished_total'))?.expr).toContain(
      'outcome="failed"',
    );
    expect(rules.find((r) => r.expr.includes('q2h_http_request_duration_seconds'))?.expr).toContain('5..');
    expect(byMetric('q2h_projection_batch_seconds_bucket')).not.toEqual([]);
    expect(byMetric('q2h_dlq_records_total')).not.toEqual([]);
    for (const rule of rules) {
      expect(rule.labels?.['severity'], rule.alert).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations?.['summary'], rule.alert).toBeTruthy();
      expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    }
  });

  it('alert with PromQL that parses and selects only metrics q2h exports', () => {
    for (const rule of rules) {
      const { errors, metrics } = parsePromQL(rule.expr);
      expect(errors, `${rule.alert}: ${rule.expr}`).toEqual([]);
      expect(metrics.length, rule.alert).toBeGreaterThan(0);
      for (const metric of metrics) expect(known.has(metric), `${rule.alert} uses ${metric}`).toBe(true);
    }
  });

  it('chart every metric the issue lists, with PromQL that parses', () => {
    interface Panel {
      title: string;
      type: string;
      targets?: { expr: string }[];
      datasource?: { uid: string };
    }
    const dashboard = JSON.parse(readRepoFile('deploy/grafana/dashboards/q2h.json')) as {
      uid: string;
      panels: Panel[];
      templating: { list: { name: string; type: string }[] };
    };
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    const selected = new Set<string>();
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      // Grafana's datasource variable, so that the dashboard works with any Prometheus datasource.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's syntax, not a JS template
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      for (const { expr } of panel.targets ?? []) {
        // Grafana's variables are not PromQL: give them values first.
        const promql = expr.replaceAll('$__rate_interval', '5m').replaceAll('$target', '.*');
        const { errors, metrics } = parsePromQL(promql);
        expect(errors, `${panel.title}: ${expr}`).toEqual([]);
        for (const metric of metrics) {
          expect(known.has(metric), `${panel.title} uses ${metric}`).toBe(true);
          selected.add(metric);
        }
      }
    }
    expect([...selected]).toEqual(
      expect.arrayContaining([
        'q2h_ingest_rows_total',
        'q2h_ingest_bytes_total',
        'q2h_events_published_total',
        'q2h_projection_lag_records',
        'q2h_projection_batch_seconds_bucket',
        'q2h_dlq_records_total',
        'q2h_http_request_duration_seconds_bucket',
        'q2h_http_request_duration_seconds_count',
        'q2h_imports_finished_total',
      ]),
    );
  });
});
