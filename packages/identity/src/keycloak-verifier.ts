import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { joseVerifier, type TokenVerifier } from './token-verifier.ts';

/**
 * Thrown (not returned) by a Keycloak verifier that has never obtained the realm's signing keys and
 * cannot fetch them now: the token may be fine, the identity provider is down. The gateway answers
 * 503, not 401.
 */
export class IdentityProviderUnavailable extends Error {
  override readonly name = 'IdentityProviderUnavailable';
}

export interface KeycloakVerifierOptions {
  /** The realm's issuer, exactly as in the tokens' `iss`, e.g. https://sso.example.com/realms/q2h */
  issuer: string;
  /** The audience access tokens must carry (the realm's audience mapper adds it): `q2h`. */
  audience: string;
  /** Default: the realm's `${issuer}/protocol/openid-connect/certs`. */
  jwksUri?: string;
  /** Keys are fetched again after this long (ms). Default 10 min. */
  cacheMaxAgeMs?: number;
  /** An unknown `kid` (key rotation) refetches at most this often (ms); a failed fetch is not retried sooner either. Default 30 s. */
  cooldownMs?: number;
  /** Timeout of one JWKS request (ms). Default 3 s. */
  timeoutMs?: number;
}

/** Errors that say something about the token (no key for its kid/alg), not about Keycloak being reachable. */
const TOKEN_ERRORS = [
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
];

/**
 * Distributed mode's verifier: Keycloak's RS256 access tokens, checked against the realm's JWKS with
 * the same claim checks as embedded mode (`joseVerifier`). The keys are cached; when Keycloak cannot be
 * reached the last keys fetched stay in use, so tokens issued before an outage keep verifying until
 * they expire (new logins fail meanwhile: see oidc-login.ts).
 */
export function keycloakVerifier(options: KeycloakVerifierOptions): TokenVerifier {
  const jwksUri = options.jwksUri ?? `${options.issuer.replace(/\/$/, '')}/protocol/openid-connect/certs`;
  const cooldown = options.cooldownMs ?? 30_000;
  const remote = createRemoteJWKSet(new URL(jwksUri), {
    cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
    cooldownDuration: cooldown,
    timeoutDuration: options.timeoutMs ?? 3_000,
  });
  let failedAt = Number.NEGATIVE_INFINITY;
  const lastKnown: JWTVerifyGetKey = (header, token) => {
    const jwks = remote.jwks();
    if (!jwks) throw new IdentityProviderUnavailable(`no signing keys yet and ${jwksUri} cannot be fetched`);
    return createLocalJWKSet(jwks)(header, token);
  };
  const getKey: JWTVerifyGetKey = async (header, token) => {
    // Right after a failed fetch, do not make every request wait for Keycloak again.
    if (remote.jwks() && Date.now() - failedAt < cooldown) return lastKnown(header, token);
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JOSEError && TOKEN_ERRORS.includes(error.code)) throw error;
      failedAt = Date.now();
      try {
        return await lastKnown(header, token);
      } catch (fallbackError) {
        if (fallbackError instanceof IdentityProviderUnavailable) {
          throw new IdentityProviderUnavailable(
            `cannot fetch the signing keys from ${jwksUri}: ${(error as Error).message}`,
            { cause: error },
          );
        }
        throw fallbackError;
      }
    }
  };
  return joseVerifier(getKey, { issuer: options.issuer, audience: options.audience, algorithms: ['RS256'] });
}
