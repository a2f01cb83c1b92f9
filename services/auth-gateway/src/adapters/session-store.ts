import { randomBytes } from 'node:crypto';
import type { Tokens } from '@q2h/identity';
import { type Migration, migrate, type Relational } from '@q2h/relational';

/**
 * Browser sessions of the SSO login, in PostgreSQL so that any gateway replica serves any browser.
 * The browser holds only a random id (httpOnly cookie); Keycloak's tokens stay here.
 */
export interface Session {
  id: string;
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  /** Epoch ms when the access token expires. */
  accessExpiresAt: number;
}

const migrations: Migration[] = [
  {
    name: '0001_gateway_sessions',
    up: async (db) => {
      await db.schema.createTable('gateway_sessions', (t) => {
        t.string('id').primary();
        t.text('access_token').notNullable();
        t.text('refresh_token');
        t.text('id_token');
        t.bigInteger('access_expires_at').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
      });
    },
  },
];

const toRow = (s: Session) => ({
  id: s.id,
  access_token: s.accessToken,
  refresh_token: s.refreshToken ?? null,
  id_token: s.idToken ?? null,
  access_expires_at: s.accessExpiresAt,
});

export class SessionStore {
  constructor(private readonly db: Relational) {}

  migrate(): Promise<void> {
    return migrate(this.db, migrations, 'gateway_migrations');
  }

  async create(tokens: Tokens, now = Date.now()): Promise<Session> {
    const session = sessionOf(randomBytes(24).toString('base64url'), tokens, now);
    await this.db('gateway_sessions').insert({ ...toRow(session), created_at: new Date(now) });
    return session;
  }

  async find(id: string): Promise<Session | undefined> {
    const row = await this.db('gateway_sessions').where({ id }).first();
    if (!row) return undefined;
    return {
      id: row.id,
      accessToken: row.access_token,
      refreshToken: row.refresh_token ?? undefined,
      idToken: row.id_token ?? undefined,
      accessExpiresAt: Number(row.access_expires_at),
    };
  }

  async update(id: string, tokens: Tokens, now = Date.now()): Promise<Session> {
    const session = sessionOf(id, tokens, now);
    await this.db('gateway_sessions').where({ id }).update(toRow(session));
    return session;
  }

  async delete(id: string): Promise<void> {
    await this.db('gateway_sessions').where({ id }).delete();
  }
}

function sessionOf(id: string, tokens: Tokens, now: number): Session {
  return {
    id,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
    accessExpiresAt: now + (tokens.expiresIn ?? 300) * 1000,
  };
}
