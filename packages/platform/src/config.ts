import { z } from 'zod';

/** What one process runs: `all` (embedded mode) or some of the distributed targets. */
export const TARGETS = ['all', 'gateway', 'ingest', 'projector', 'query', 'export'] as const;
export type Target = (typeof TARGETS)[number];

/** Every setting comes from the environment and is validated at start, with one message per bad value. */
const ConfigSchema = z.object({
  Q2H_PORT: z.coerce.number().int().min(0, '0 picks a free port').max(65535).default(8080),
  Q2H_HOST: z.string().min(1).default('0.0.0.0'),
  Q2H_DATA_DIR: z.string().min(1).default('./data'),
  Q2H_TENANT: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes')
    .default('default'),
  /** Tenants this deployment serves (default: Q2H_TENANT); a token of any other is refused (403). */
  Q2H_TENANTS: z
    .string()
    .regex(
      /^[a-z0-9-]{1,40}(,[a-z0-9-]{1,40})*$/,
      'comma-separated tenants: lower-case letters, digits and dashes',
    )
    .optional(),
  Q2H_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  Q2H_ADMIN_INITIAL_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
  Q2H_MAX_UPLOAD_MB: z.coerce.number().positive().max(1_000_000).default(4096),
  Q2H_TOKEN_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(480),
  /** How often watched folders are listed; a file is imported once two listings in a row show it unchanged. */
  Q2H_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  Q2H_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  Q2H_TARGETS: z
    .string()
    .default('all')
    .refine(
      (v) => v.split(',').every((t) => TARGETS.includes(t.trim() as Target)),
      `a comma-separated list of ${TARGETS.join(', ')}`,
    ),
  // Distributed mode (any Q2H_TARGETS other than "all"): the backends and the other targets.
  Q2H_KAFKA_BROKERS: z.string().optional(),
  Q2H_SCHEMA_REGISTRY_URL: z.url().optional(),
  /** http(s)://user:password@host:8123/db for a ClickHouse server, or chdb:<path> for the in-process engine. */
  Q2H_CLICKHOUSE_URL: z.string().optional(),
  Q2H_POSTGRES_URL: z.string().optional(),
  Q2H_OIDC_ISSUER: z.url().optional(),
  Q2H_OIDC_CLIENT_ID: z.string().default('q2h-gateway'),
  Q2H_OIDC_CLIENT_SECRET: z.string().optional(),
  Q2H_OIDC_AUDIENCE: z.string().default('q2h'),
  /** The gateway's public URL (for the login callback); default: from the request's Host. */
  Q2H_PUBLIC_URL: z.url().optional(),
  Q2H_INGEST_URL: z.url().optional(),
  Q2H_QUERY_URL: z.url().optional(),
  Q2H_EXPORT_URL: z.url().optional(),
});

/** Settings of distributed mode: where the shared backends and the other targets are. */
export interface DistributedConfig {
  kafkaBrokers: string[];
  schemaRegistryUrl: string | undefined;
  clickhouseUrl: string | undefined;
  postgresUrl: string | undefined;
  oidc: { issuer: string; clientId: string; clientSecret: string | undefined; audience: string } | undefined;
  publicUrl: string | undefined;
  targetUrls: { ingest?: string; query?: string; export?: string };
}

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  tenant: string;
  /** Tenants whose tokens are accepted. */
  tenants: string[];
  adminPassword: string | undefined;
  adminInitialPassword: string | undefined;
  maxUploadBytes: number;
  tokenTtlMinutes: number;
  watchIntervalMs: number;
  logLevel: string;
  targets: Target[];
  distributed: DistributedConfig;
};

export type ConfigResult = { kind: 'ok'; config: Config } | { kind: 'invalid'; problems: string[] };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    return {
      kind: 'invalid',
      problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    };
  }
  const e = parsed.data;
  return {
    kind: 'ok',
    config: {
      port: e.Q2H_PORT,
      host: e.Q2H_HOST,
      dataDir: e.Q2H_DATA_DIR,
      tenant: e.Q2H_TENANT,
      tenants: e.Q2H_TENANTS ? e.Q2H_TENANTS.split(',') : [e.Q2H_TENANT],
      adminPassword: e.Q2H_ADMIN_PASSWORD,
      adminInitialPassword: e.Q2H_ADMIN_INITIAL_PASSWORD,
      maxUploadBytes: Math.round(e.Q2H_MAX_UPLOAD_MB * 1024 * 1024),
      tokenTtlMinutes: e.Q2H_TOKEN_TTL_MINUTES,
      watchIntervalMs: e.Q2H_WATCH_INTERVAL_MS,
      logLevel: e.Q2H_LOG_LEVEL,
      targets: e.Q2H_TARGETS.split(',').map((t) => t.trim() as Target),
      distributed: {
        kafkaBrokers: (e.Q2H_KAFKA_BROKERS ?? '')
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
        schemaRegistryUrl: e.Q2H_SCHEMA_REGISTRY_URL,
        clickhouseUrl: e.Q2H_CLICKHOUSE_URL,
        postgresUrl: e.Q2H_POSTGRES_URL,
        oidc: e.Q2H_OIDC_ISSUER
          ? {
              issuer: e.Q2H_OIDC_ISSUER,
              clientId: e.Q2H_OIDC_CLIENT_ID,
              clientSecret: e.Q2H_OIDC_CLIENT_SECRET,
              audience: e.Q2H_OIDC_AUDIENCE,
            }
          : undefined,
        publicUrl: e.Q2H_PUBLIC_URL,
        targetUrls: {
          ...(e.Q2H_INGEST_URL ? { ingest: e.Q2H_INGEST_URL } : {}),
          ...(e.Q2H_QUERY_URL ? { query: e.Q2H_QUERY_URL } : {}),
          ...(e.Q2H_EXPORT_URL ? { export: e.Q2H_EXPORT_URL } : {}),
        },
      },
    },
  };
}
