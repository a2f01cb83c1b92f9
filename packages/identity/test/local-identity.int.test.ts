import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteRelational, type Relational } from '@q2h/relational';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAccounts, MAX_FAILED_LOGINS } from '../src/local-accounts.ts';
import { AUDIENCE, LOCAL_ISSUER, openLocalTokenIssuer } from '../src/local-token-issuer.ts';
import { identityContract } from './identity.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'q2h-identity-'));

const signWith = (key: KeyObject, claims: object, audience: string) =>
  new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(audience)
    .setExpirationTime('60s')
    .sign(key);

identityContract('local JWT', async () => {
  const keyFile = join(dir, 'jwt-key.pem');
  const issuer = await openLocalTokenIssuer(keyFile);
  const trustedKey = createPrivateKey(await readFile(keyFile, 'utf8'));
  const strangerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return {
    verifier: issuer.verifier,
    issue: (claims, ttl) => issuer.issue(claims, ttl),
    forge: (claims) => signWith(strangerKey, claims, AUDIENCE),
    otherAudience: (claims) => signWith(trustedKey, claims, 'someone-else'),
  };
});

describe('Local accounts', () => {
  let db: Relational;
  let clock = new Date('2026-11-23T10:00:00Z');
  let accounts: LocalAccounts;
  beforeAll(async () => {
    db = openPgliteRelational(join(dir, 'pg'));
    accounts = new LocalAccounts(db, () => clock);
    await accounts.migrate();
  });
  afterAll(async () => {
    await db.destroy();
  });

  it('given the bootstrap admin, then it must change its initial password at first login', async () => {
    await accounts.ensureAdmin('t1', { initialPassword: 'initial-secret' });
    const login = await accounts.login('t1', 'admin', 'initial-secret');
    expect(login).toMatchObject({
      kind: 'ok',
      account: { username: 'admin', roles: ['admin'], mustChangePassword: true },
    });
    expect(await accounts.changePassword('t1', 'admin', 'initial-secret', 'short')).toMatchObject({
      kind: 'weak',
    });
    const changed = await accounts.changePassword('t1', 'admin', 'initial-secret', 'a much longer secret');
    expect(changed).toMatchObject({ kind: 'ok', account: { mustChangePassword: false } });
    expect((await accounts.login('t1', 'admin', 'initial-secret')).kind).toBe('invalid');
    expect(await accounts.login('t1', 'admin', 'a much longer secret')).toMatchObject({
      kind: 'ok',
      account: { mustChangePassword: false },
    });
  });

  it('given Q2H_ADMIN_PASSWORD, then the admin logs in with it and no forced change', async () => {
    await accounts.ensureAdmin('t2', { password: 'automation-secret-1', initialPassword: 'x' });
    expect(await accounts.login('t2', 'admin', 'automation-secret-1')).toMatchObject({
      kind: 'ok',
      account: { mustChangePassword: false },
    });
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    expect(await accounts.login('t2', 'nobody', 'whatever')).toEqual({ kind: 'invalid' });
    expect(await accounts.login('t2', 'admin', 'wrong')).toEqual({ kind: 'invalid' });
  });

  it('locks an account after repeated failures, until the lockout ends', async () => {
    await accounts.create('t3', 'bob', 'bob-password-123', ['viewer']);
    for (let i = 1; i < MAX_FAILED_LOGINS; i++) {
      expect((await accounts.login('t3', 'bob', `wrong-${i}`)).kind).toBe('invalid');
    }
    expect((await accounts.login('t3', 'bob', 'wrong-last')).kind).toBe('locked');
    expect((await accounts.login('t3', 'bob', 'bob-password-123')).kind).toBe('locked');
    clock = new Date(clock.getTime() + 16 * 60_000);
    expect((await accounts.login('t3', 'bob', 'bob-password-123')).kind).toBe('ok');
  });
});
