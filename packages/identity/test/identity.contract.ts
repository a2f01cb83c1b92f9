import { describe, expect, it } from 'vitest';
import type { Claims } from '../src/claims.ts';
import type { TokenVerifier } from '../src/token-verifier.ts';

export interface TokenFixture {
  verifier: TokenVerifier;
  /** A token the identity provider would issue for these claims. */
  issue(claims: Claims, ttlSeconds: number): Promise<string>;
  /** A token with the right claims but signed by a key the verifier does not trust. */
  forge(claims: Claims): Promise<string>;
  /** A token signed by the right key but for another audience. */
  otherAudience(claims: Claims): Promise<string>;
}

const analyst: Claims = {
  sub: 'u-1',
  preferred_username: 'alice',
  realm_access: { roles: ['analyst'] },
  tenant: 'acme',
};

/** The suite every token verifier passes: local JWTs now, Keycloak's in distributed mode. */
export function identityContract(name: string, make: () => Promise<TokenFixture>) {
  describe(`Identity contract: ${name}`, () => {
    it('given a fresh token, then its Keycloak-shaped claims come back', async () => {
      const f = await make();
      const result = await f.verifier.verify(await f.issue(analyst, 60));
      expect(result).toMatchObject({ kind: 'ok', claims: analyst });
    });

    it('rejects an expired token', async () => {
      const f = await make();
      const token = await f.issue(analyst, 1);
      await new Promise((r) => setTimeout(r, 2100));
      expect(await f.verifier.verify(token)).toEqual({ kind: 'rejected', reason: 'token expired' });
    });

    it('rejects a token signed by another key', async () => {
      const f = await make();
      expect((await f.verifier.verify(await f.forge(analyst))).kind).toBe('rejected');
    });

    it('rejects a token for another audience', async () => {
      const f = await make();
      expect((await f.verifier.verify(await f.otherAudience(analyst))).kind).toBe('rejected');
    });

    it('rejects garbage and a token without a tenant', async () => {
      const f = await make();
      expect((await f.verifier.verify('not.a.jwt')).kind).toBe('rejected');
      const { tenant: _dropped, ...withoutTenant } = analyst;
      const token = await f.issue(withoutTenant as Claims, 60);
      expect(await f.verifier.verify(token)).toMatchObject({ kind: 'rejected' });
    });
  });
}
