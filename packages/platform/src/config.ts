import { z } from 'zod';

/** Every setting comes from the environment and is validated at start, with one message per bad value. */
const ConfigSchema = z.object({
  Q2H_PORT: z.coerce.number().int().min(0, '0 picks a free port').max(65535).default(8080),
  Q2H_HOST: z.string().min(1).default('0.0.0.0'),
  Q2H_DATA_DIR: z.string().min(1).default('./data'),
  Q2H_TENANT: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes')
    .default('default'),
  Q2H_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  Q2H_ADMIN_INITIAL_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
  Q2H_MAX_UPLOAD_MB: z.coerce.number().positive().max(1_000_000).default(4096),
  Q2H_TOKEN_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(480),
  Q2H_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  Q2H_TARGETS: z.string().default('all'),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  tenant: string;
  adminPassword: string | undefined;
  adminInitialPassword: string | undefined;
  maxUploadBytes: number;
  tokenTtlMinutes: number;
  logLevel: string;
  targets: string[];
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
      adminPassword: e.Q2H_ADMIN_PASSWORD,
      adminInitialPassword: e.Q2H_ADMIN_INITIAL_PASSWORD,
      maxUploadBytes: Math.round(e.Q2H_MAX_UPLOAD_MB * 1024 * 1024),
      tokenTtlMinutes: e.Q2H_TOKEN_TTL_MINUTES,
      logLevel: e.Q2H_LOG_LEVEL,
      targets: e.Q2H_TARGETS.split(',').map((t) => t.trim()),
    },
  };
}
