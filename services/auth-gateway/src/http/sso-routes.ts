import {
  type OidcLogin,
  type OidcResult,
  type PendingLogin,
  principalOf,
  type TokenVerifier,
} from '@q2h/identity';
import { ProblemError, problem } from '@q2h/platform';
import cookieParser from 'cookie-parser';
import { type CookieOptions, type Request, Router } from 'express';
import type { SessionStore } from '../adapters/session-store.ts';
import { unavailableAs503 } from './authenticate.ts';

const SESSION_COOKIE = 'q2h_session';
const LOGIN_COOKIE = 'q2h_login';
/** Access tokens this close to expiry are refreshed before being handed out. */
const REFRESH_MARGIN_MS = 30_000;
/**
 * Cookie-authenticated calls must carry this header: a cross-site form or image cannot set it, and a
 * cross-site script cannot without a CORS preflight the gateway never grants (CSRF guard).
 */
export const CSRF_HEADER = 'x-q2h-csrf';

function ok<T>(result: OidcResult<T>): T {
  if (result.kind === 'ok') return result.value;
  if (result.kind === 'unavailable') {
    throw new ProblemError(
      problem(503, 'identity-provider-unavailable', `single sign-on is unavailable: ${result.detail}`),
    );
  }
  throw new ProblemError(problem(401, 'sso-denied', `${result.error}: ${result.detail}`));
}

/**
 * The browser's single sign-on through Keycloak (authorization code + PKCE, openid-client): the gateway
 * keeps Keycloak's tokens in a server-side session; the web app exchanges its session cookie for a
 * fresh access token (POST /auth/session) and calls the API with it as a bearer token.
 */
export function ssoRoutes(deps: {
  login: OidcLogin;
  sessions: SessionStore;
  verifier: TokenVerifier;
  /** https: cookies are Secure. */
  secureCookies: boolean;
}) {
  const cookie = (maxAgeMs: number, path = '/api/auth'): CookieOptions => ({
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.secureCookies,
    path,
    maxAge: maxAgeMs,
  });
  const requireCsrfHeader = (req: Request) => {
    if (req.get(CSRF_HEADER) !== '1') {
      throw new ProblemError(problem(403, 'csrf', `send the header ${CSRF_HEADER}: 1`));
    }
  };

  const router = Router();
  router.use('/auth', cookieParser());
  router.get('/auth/config', (_req, res) => {
    res.json({ mode: 'sso', loginUrl: '/api/auth/sso' });
  });

  router.get('/auth/sso', async (_req, res) => {
    const { url, pending } = ok(await deps.login.begin());
    res.cookie(LOGIN_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), cookie(600_000));
    res.redirect(url);
  });

  router.get('/auth/callback', async (req, res) => {
    const pending = pendingFrom(req.cookies?.[LOGIN_COOKIE]);
    res.clearCookie(LOGIN_COOKIE, { path: '/api/auth' });
    if (!pending) {
      throw new ProblemError(
        problem(400, 'sso-expired', 'the login took too long or cookies are off: try again'),
      );
    }
    const callbackUrl = new URL(req.originalUrl, `${req.protocol}://${req.get('host')}`);
    const tokens = ok(await deps.login.complete(callbackUrl, pending));
    const session = await deps.sessions.create(tokens);
    res.cookie(SESSION_COOKIE, session.id, cookie(7 * 24 * 3_600_000));
    res.redirect('/');
  });

  router.post('/auth/session', async (req, res) => {
    requireCsrfHeader(req);
    const id: string | undefined = req.cookies?.[SESSION_COOKIE];
    let session = id ? await deps.sessions.find(id) : undefined;
    if (!session) throw new ProblemError(problem(401, 'no-session', 'log in with single sign-on'));
    if (session.accessExpiresAt - Date.now() < REFRESH_MARGIN_MS) {
      const refreshed = session.refreshToken ? await deps.login.refresh(session.refreshToken) : undefined;
      if (refreshed?.kind === 'unavailable') ok(refreshed);
      if (refreshed?.kind !== 'ok') {
        await deps.sessions.delete(session.id);
        throw new ProblemError(problem(401, 'session-expired', 'your session ended: log in again'));
      }
      session = await deps.sessions.update(session.id, refreshed.value);
    }
    const verified = await deps.verifier.verify(session.accessToken).catch(unavailableAs503);
    if (verified.kind === 'rejected') {
      throw new ProblemError(problem(401, 'invalid-token', `${verified.reason}; log in again`));
    }
    const principal = principalOf(verified.claims);
    res.json({
      token: session.accessToken,
      expiresAt: session.accessExpiresAt,
      mustChangePassword: false,
      user: { username: principal.username, roles: principal.roles, tenant: principal.tenant },
    });
  });

  router.post('/auth/logout', async (req, res) => {
    requireCsrfHeader(req);
    const id: string | undefined = req.cookies?.[SESSION_COOKIE];
    const session = id ? await deps.sessions.find(id) : undefined;
    if (session) await deps.sessions.delete(session.id);
    res.clearCookie(SESSION_COOKIE, { path: '/api/auth' });
    const logout = await deps.login.logoutUrl(session?.idToken);
    res.json({ logoutUrl: logout.kind === 'ok' ? logout.value : null });
  });
  return router;
}

function pendingFrom(value: unknown): PendingLogin | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<PendingLogin>;
    if (parsed.state && parsed.nonce && parsed.codeVerifier) return parsed as PendingLogin;
  } catch {
    // a cookie that is not ours
  }
  return undefined;
}
