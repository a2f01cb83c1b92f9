import { errors, type JWTVerifyGetKey, jwtVerify, type KeyObject } from 'jose';
import type { Claims } from './claims.ts';

export type VerifyResult = { kind: 'ok'; claims: Claims } | { kind: 'rejected'; reason: string };

/** The port: embedded mode verifies the gateway's own tokens, distributed mode Keycloak's (JWKS). */
export interface TokenVerifier {
  verify(token: string): Promise<VerifyResult>;
}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
}

/** One verification for both modes: signature, issuer, audience, algorithm, expiry and claim shape. */
export function joseVerifier(key: KeyObject | JWTVerifyGetKey, options: VerifierOptions): TokenVerifier {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key as KeyObject, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: options.algorithms,
        });
        const roles = (payload.realm_access as { roles?: unknown } | undefined)?.roles;
        if (
          typeof payload.sub !== 'string' ||
          typeof payload.preferred_username !== 'string' ||
          typeof payload.tenant !== 'string' ||
          !Array.isArray(roles)
        ) {
          return {
            kind: 'rejected',
            reason: 'token lacks sub, preferred_username, tenant or realm_access.roles',
          };
        }
        return { kind: 'ok', claims: payload as unknown as Claims };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { kind: 'rejected', reason: 'token expired' };
        if (error instanceof errors.JOSEError)
          return { kind: 'rejected', reason: `invalid token (${error.code})` };
        throw error;
      }
    },
  };
}
