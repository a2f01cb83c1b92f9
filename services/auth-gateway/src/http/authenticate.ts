import { IdentityProviderUnavailable, principalOf, type Role, type TokenVerifier } from '@q2h/identity';
import { ProblemError, problem } from '@q2h/platform';
import type { RequestHandler } from 'express';

/** Claim set on tokens of accounts that must change their password first; such a token opens nothing else. */
export const PASSWORD_CHANGE_CLAIM = 'q2h_pwd_change';
const ALLOWED_BEFORE_CHANGE = new Set(['/auth/password', '/me']);

/** Bearer token → req.principal, or 401 with a problem body; 403 for a tenant this deployment does not serve. */
export function authenticate(verifier: TokenVerifier, tenants: readonly string[]): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token)
      throw new ProblemError(
        problem(401, 'unauthenticated', 'log in first: send "Authorization: Bearer <token>"'),
      );
    const verified = await verifier.verify(token).catch(unavailableAs503);
    if (verified.kind === 'rejected')
      throw new ProblemError(problem(401, 'invalid-token', `${verified.reason}; log in again`));
    const principal = principalOf(verified.claims);
    if (principal.roles.length === 0)
      throw new ProblemError(problem(403, 'no-role', 'your account has no q2h role'));
    if (!tenants.includes(principal.tenant)) {
      throw new ProblemError(
        problem(403, 'tenant-not-served', `this q2h does not serve tenant "${principal.tenant}"`),
      );
    }
    const claims = verified.claims as unknown as Record<string, unknown>;
    if (claims[PASSWORD_CHANGE_CLAIM] === true && !ALLOWED_BEFORE_CHANGE.has(req.path)) {
      throw new ProblemError(
        problem(403, 'password-change-required', 'change your password first (POST /api/auth/password)'),
      );
    }
    req.principal = principal;
    next();
  };
}

/** Route guard: one of these roles, else 403. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.principal?.roles.some((r) => (roles as string[]).includes(r))) {
      throw new ProblemError(problem(403, 'forbidden', `this needs one of the roles: ${roles.join(', ')}`));
    }
    next();
  };
}

/** Keycloak cannot be reached and no signing key is cached: the token may be fine, so 503, not 401. */
export function unavailableAs503(error: unknown): never {
  if (error instanceof IdentityProviderUnavailable) {
    throw new ProblemError(
      problem(503, 'identity-provider-unavailable', `tokens cannot be checked now: ${error.message}`),
    );
  }
  throw error;
}
