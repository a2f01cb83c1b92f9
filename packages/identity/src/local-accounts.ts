import { type Migration, migrate, type Relational } from '@q2h/relational';
import type { Role } from './claims.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;
export const MIN_PASSWORD_LENGTH = 12;

const migrations: Migration[] = [
  {
    name: '0001_users',
    up: (db) =>
      db.schema.createTable('users', (t) => {
        t.string('tenant').notNullable();
        t.string('id').notNullable();
        t.string('username').notNullable();
        t.text('password_hash').notNullable();
        t.specificType('roles', 'text[]').notNullable();
        t.boolean('must_change_password').notNullable().defaultTo(true);
        t.integer('failed_logins').notNullable().defaultTo(0);
        t.timestamp('locked_until', { useTz: true });
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.primary(['tenant', 'id']);
        t.unique(['tenant', 'username']);
      }),
  },
];

export interface Account {
  id: string;
  tenant: string;
  username: string;
  roles: Role[];
  mustChangePassword: boolean;
}

export type LoginResult =
  | { kind: 'ok'; account: Account }
  | { kind: 'invalid' }
  | { kind: 'locked'; until: Date };

export type PasswordChangeResult =
  | { kind: 'ok'; account: Account }
  | { kind: 'invalid' }
  | { kind: 'weak'; reason: string };

interface UserRow {
  tenant: string;
  id: string;
  username: string;
  password_hash: string;
  roles: string[];
  must_change_password: boolean;
  failed_logins: number;
  locked_until: Date | null;
}

const toAccount = (row: UserRow): Account => ({
  id: row.id,
  tenant: row.tenant,
  username: row.username,
  roles: row.roles as Role[],
  mustChangePassword: row.must_change_password,
});

/** Local accounts of embedded mode: slow hashes, forced change on first login, lockout after failures. */
export class LocalAccounts {
  constructor(
    private readonly db: Relational,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async migrate(): Promise<void> {
    await migrate(this.db, migrations, 'identity_migrations');
  }

  /**
   * The bootstrap admin: created once. With `password` (Q2H_ADMIN_PASSWORD, for automation) it is set
   * on every start with no forced change; otherwise the initial password must be changed at first login.
   * Resolves true when the admin was created now.
   */
  async ensureAdmin(
    tenant: string,
    options: { password?: string | undefined; initialPassword: string },
  ): Promise<boolean> {
    const existing = await this.db<UserRow>('users').where({ tenant, username: 'admin' }).first();
    if (options.password) {
      const hash = await hashPassword(options.password);
      await this.db('users')
        .insert({
          tenant,
          id: 'admin',
          username: 'admin',
          password_hash: hash,
          roles: ['admin'],
          must_change_password: false,
        })
        .onConflict(['tenant', 'id'])
        .merge(['password_hash', 'must_change_password', 'failed_logins', 'locked_until']);
      return !existing;
    }
    if (!existing) {
      const hash = await hashPassword(options.initialPassword);
      await this.db('users').insert({
        tenant,
        id: 'admin',
        username: 'admin',
        password_hash: hash,
        roles: ['admin'],
        must_change_password: true,
      });
      return true;
    }
    return false;
  }

  async create(tenant: string, username: string, password: string, roles: Role[]): Promise<Account> {
    const row = {
      tenant,
      id: username,
      username,
      password_hash: await hashPassword(password),
      roles,
      must_change_password: true,
    };
    await this.db('users').insert(row);
    return toAccount({ ...row, failed_logins: 0, locked_until: null });
  }

  async get(tenant: string, id: string): Promise<Account | undefined> {
    const row = await this.db<UserRow>('users').where({ tenant, id }).first();
    return row ? toAccount(row) : undefined;
  }

  async login(tenant: string, username: string, password: string): Promise<LoginResult> {
    const row = await this.db<UserRow>('users').where({ tenant, username }).first();
    if (!row) {
      await hashPassword(password); // same cost as a real check: no timing hint that the user is unknown
      return { kind: 'invalid' };
    }
    const now = this.now();
    if (row.locked_until && row.locked_until > now) return { kind: 'locked', until: row.locked_until };
    if (!(await verifyPassword(password, row.password_hash))) {
      const failed = row.failed_logins + 1;
      const lock = failed >= MAX_FAILED_LOGINS ? new Date(now.getTime() + LOCKOUT_MINUTES * 60_000) : null;
      await this.db('users')
        .where({ tenant, id: row.id })
        .update({ failed_logins: lock ? 0 : failed, locked_until: lock });
      return lock ? { kind: 'locked', until: lock } : { kind: 'invalid' };
    }
    await this.db('users').where({ tenant, id: row.id }).update({ failed_logins: 0, locked_until: null });
    return { kind: 'ok', account: toAccount(row) };
  }

  async changePassword(
    tenant: string,
    id: string,
    currentPassword: string,
    newPassword: string,
  ): Promise<PasswordChangeResult> {
    const row = await this.db<UserRow>('users').where({ tenant, id }).first();
    if (!row || !(await verifyPassword(currentPassword, row.password_hash))) return { kind: 'invalid' };
    if (newPassword.length < MIN_PASSWORD_LENGTH) {
      return { kind: 'weak', reason: `the new password needs at least ${MIN_PASSWORD_LENGTH} characters` };
    }
    if (newPassword === currentPassword)
      return { kind: 'weak', reason: 'the new password must differ from the current one' };
    await this.db('users')
      .where({ tenant, id })
      .update({ password_hash: await hashPassword(newPassword), must_change_password: false });
    return { kind: 'ok', account: toAccount({ ...row, must_change_password: false }) };
  }
}
