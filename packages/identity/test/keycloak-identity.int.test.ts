/**
 * Distributed mode's identity against a real Keycloak 26 (a local process, see @q2h/test-engines):
 * the identity contract on Keycloak-issued tokens, the realm export's roles and tenant claim, the
 * browser login (authorization code + PKCE) followed with fetch, and an outage.
 *
 * The realm is deploy/keycloak/q2h-realm.json plus two test-only clients with direct access grants
 * (the password grant issues the tokens here; the production client has it disabled).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KeycloakEngine, startKeycloak } from '@q2h/test-engines';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Claims, principalOf } from '../src/claims.ts';
import { IdentityProviderUnavailable, keycloakVerifier } from '../src/keycloak-verifier.ts';
import { type OidcLogin, oidcLogin, type Tokens } from '../src/oidc-login.ts';
import { identityContract } from './identity.contract.ts';

const REALM_FILE = fileURLToPath(new URL('../../../deploy/keycloak/q2h-realm.json', import.meta.url));
const AUDIENCE = 'q2h';
const GATEWAY = { clientId: 'q2h-gateway', secret: 'q2h-dev-client-secret' };
const PASSWORD_CLIENT = 'q2h-test-password';
const OTHER_AUDIENCE_CLIENT = 'q2h-test-other-audience';
const TEST_CLIENT_SECRET = 'q2h-test-client-secret';
const CONTRACT_PASSWORD = 'contract-user-test-only';

interface ClientRepresentation {
  id?: string;
  clientId: string;
  attributes?: Record<string, string>;
  protocolMappers?: { name: string; protocolMapper: string; config: Record<string, string> }[];
  [key: string]: unknown;
}

/** The deployed realm plus the test-only password-grant clients (same mappers; one with another audience). */
function writeTestRealm(dir: string): string {
  const realm = JSON.parse(readFileSync(REALM_FILE, 'utf8')) as { clients: ClientRepresentation[] };
  const mappers = realm.clients.find((c) => c.clientId === GATEWAY.clientId)?.protocolMappers ?? [];
  const passwordClient = (clientId: string, audience: string): ClientRepresentation => ({
    clientId,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    secret: TEST_CLIENT_SECRET,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: true,
    protocolMappers: mappers.map((m) =>
      m.protocolMapper === 'oidc-audience-mapper'
        ? {
            ...m,
            name: `audience ${audience}`,
            config: { ...m.config, 'included.custom.audience': audience },
          }
        : m,
    ),
  });
  realm.clients.push(
    passwordClient(PASSWORD_CLIENT, AUDIENCE),
    passwordClient(OTHER_AUDIENCE_CLIENT, 'other-api'),
  );
  const file = join(dir, 'q2h-test-realm.json');
  writeFileSync(file, JSON.stringify(realm));
  return file;
}

/** Keycloak's admin REST API as the master realm's bootstrap admin. */
function adminApi(kc: KeycloakEngine) {
  const token = async () => {
    const response = await fetch(`${kc.url}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', ...kc.admin }),
    });
    if (!response.ok) throw new Error(`admin login: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  return async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${kc.url}/admin/realms/${kc.realm}${path}`, {
      method,
      headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

let kc: KeycloakEngine;
let scratch: string;
let admin: ReturnType<typeof adminApi>;
const loginFor = (clientId: string, secret = TEST_CLIENT_SECRET): OidcLogin =>
  oidcLogin({
    issuer: kc.issuer,
    clientId,
    clientSecret: secret,
    redirectUri: 'http://127.0.0.1:9/api/auth/callback',
    allowHttp: true,
  });

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'q2h-keycloak-test-'));
  const started = Date.now();
  kc = await startKeycloak({ realmFile: writeTestRealm(scratch) });
  admin = adminApi(kc);
  console.info(
    `Keycloak ready in ${kc.startMs} ms (${Date.now() - started} ms including a first-time preparation, if any)`,
  );
}, 15 * 60_000);

afterAll(async () => {
  await kc?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Makes Keycloak's user `claims.sub` carry exactly these claims, and the client's tokens live `ttl` s. */
async function provision(claims: Claims, clientId: string, ttlSeconds: number): Promise<void> {
  await admin('POST', '/partialImport', {
    ifResourceExists: 'OVERWRITE',
    users: [
      {
        id: claims.sub,
        username: claims.preferred_username,
        enabled: true,
        email: `${claims.preferred_username}@q2h.test`,
        emailVerified: true,
        firstName: claims.preferred_username,
        lastName: 'Contract',
        attributes: claims.tenant === undefined ? {} : { tenant: [claims.tenant] },
        realmRoles: claims.realm_access.roles,
        credentials: [{ type: 'password', value: CONTRACT_PASSWORD, temporary: false }],
      },
    ],
  });
  const [client] = await admin<ClientRepresentation[]>('GET', `/clients?clientId=${clientId}`);
  if (!client?.id) throw new Error(`no client ${clientId}`);
  await admin('PUT', `/clients/${client.id}`, {
    ...client,
    attributes: { ...client.attributes, 'access.token.lifespan': String(ttlSeconds) },
  });
}

async function passwordToken(clientId: string, username: string, password: string): Promise<string> {
  const result = await loginFor(clientId).passwordGrant(username, password);
  if (result.kind !== 'ok') throw new Error(`password grant for ${username}: ${JSON.stringify(result)}`);
  return result.value.accessToken;
}

/** A token with Keycloak's issuer, audience and current key id, signed by a key Keycloak never had. */
async function forged(claims: object): Promise<string> {
  const jwks = (await (await fetch(`${kc.issuer}/protocol/openid-connect/certs`)).json()) as {
    keys: { kid: string; alg?: string; use?: string }[];
  };
  const kid = jwks.keys.find((k) => k.alg === 'RS256' && k.use === 'sig')?.kid;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
    .setIssuer(kc.issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(privateKey);
}

identityContract('Keycloak 26', async () => ({
  verifier: keycloakVerifier({ issuer: kc.issuer, audience: AUDIENCE }),
  async issue(claims, ttlSeconds) {
    await provision(claims, PASSWORD_CLIENT, ttlSeconds);
    return passwordToken(PASSWORD_CLIENT, claims.preferred_username, CONTRACT_PASSWORD);
  },
  forge: (claims) => forged(claims),
  async otherAudience(claims) {
    await provision(claims, OTHER_AUDIENCE_CLIENT, 60);
    return passwordToken(OTHER_AUDIENCE_CLIENT, claims.preferred_username, CONTRACT_PASSWORD);
  },
}));

describe('The q2h realm (deploy/keycloak/q2h-realm.json)', () => {
  const verifier = () => keycloakVerifier({ issuer: kc.issuer, audience: AUDIENCE });

  it.each([
    ['alice-admin', 'admin'],
    ['bob-analyst', 'analyst'],
    ['carol-viewer', 'viewer'],
    ['dave-monitoring', 'monitoring'],
  ])('given %s, then principalOf maps the realm role %s and tenant default', async (username, role) => {
    const token = await passwordToken(PASSWORD_CLIENT, username, `${username}-test-only`);
    const result = await verifier().verify(token);
    if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
    expect(principalOf(result.claims)).toMatchObject({ username, roles: [role], tenant: 'default' });
    expect(result.claims.sub).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("given eve-other, then the token verifies and carries the tenant 'other'", async () => {
    const result = await verifier().verify(
      await passwordToken(PASSWORD_CLIENT, 'eve-other', 'eve-other-test-only'),
    );
    if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
    expect(principalOf(result.claims)).toMatchObject({
      username: 'eve-other',
      roles: ['analyst'],
      tenant: 'other',
    });
  });

  it('given a wrong password, then the login is denied, not unavailable', async () => {
    expect(await loginFor(PASSWORD_CLIENT).passwordGrant('bob-analyst', 'wrong')).toMatchObject({
      kind: 'denied',
      error: 'invalid_grant',
    });
  });

  it('given the gateway client, then the password grant is refused (direct access grants are off)', async () => {
    const result = await loginFor(GATEWAY.clientId, GATEWAY.secret).passwordGrant(
      'bob-analyst',
      'bob-analyst-test-only',
    );
    expect(result).toMatchObject({ kind: 'denied', error: 'unauthorized_client' });
  });
});

/** Cookies of a browser that talks to one host. */
function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    take(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const at = pair?.indexOf('=') ?? -1;
        if (pair && at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
      }
    },
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
  };
}

/** Keycloak's login page, filled in and submitted as a browser would; resolves the redirect back to q2h. */
async function browserLogin(authorizationUrl: string, username: string, password: string) {
  const jar = cookieJar();
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  jar.take(page);
  expect(page.status).toBe(200);
  const html = await page.text();
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/
    .exec(html)?.[1]
    ?.replaceAll('&amp;', '&');
  if (!action) throw new Error(`no login form in Keycloak's page:\n${html.slice(0, 500)}`);
  const submitted = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, credentialId: '' }),
  });
  jar.take(submitted);
  return { status: submitted.status, location: submitted.headers.get('location'), jar };
}

describe('Browser login: authorization code + PKCE (openid-client), the browser played by fetch', () => {
  const gateway = () =>
    oidcLogin({
      issuer: kc.issuer,
      clientId: GATEWAY.clientId,
      clientSecret: GATEWAY.secret,
      // Any port on 127.0.0.1 (RFC 8252 loopback redirect): the realm registers the port-less URI.
      redirectUri: 'http://127.0.0.1:51789/api/auth/callback',
      allowHttp: true,
    });

  it('logs in, refreshes (rotating the refresh token) and logs out', async () => {
    const login = gateway();
    const begun = await login.begin();
    if (begun.kind !== 'ok') throw new Error(JSON.stringify(begun));
    const url = new URL(begun.value.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(begun.value.pending.state);

    const back = await browserLogin(begun.value.url, 'bob-analyst', 'bob-analyst-test-only');
    expect(back.status).toBe(302);
    expect(back.location).toMatch(/^http:\/\/127\.0\.0\.1:51789\/api\/auth\/callback\?.*code=/);

    const completed = await login.complete(back.location!, begun.value.pending);
    if (completed.kind !== 'ok') throw new Error(JSON.stringify(completed));
    const tokens: Tokens = completed.value;
    expect(tokens.idToken).toBeDefined();
    const verified = await keycloakVerifier({ issuer: kc.issuer, audience: AUDIENCE }).verify(
      tokens.accessToken,
    );
    if (verified.kind !== 'ok') throw new Error(JSON.stringify(verified));
    expect(principalOf(verified.claims)).toMatchObject({
      username: 'bob-analyst',
      roles: ['analyst'],
      tenant: 'default',
    });

    const refreshed = await login.refresh(tokens.refreshToken!);
    if (refreshed.kind !== 'ok') throw new Error(JSON.stringify(refreshed));
    expect(refreshed.value.accessToken).not.toBe(tokens.accessToken);
    // revokeRefreshToken: a refresh token is good for one use.
    expect(await login.refresh(tokens.refreshToken!)).toMatchObject({
      kind: 'denied',
      error: 'invalid_grant',
    });

    const logout = await login.logoutUrl(refreshed.value.idToken, 'http://127.0.0.1:51789/');
    if (logout.kind !== 'ok') throw new Error(JSON.stringify(logout));
    expect(logout.value.startsWith(`${kc.issuer}/protocol/openid-connect/logout?`)).toBe(true);
    const loggedOut = await fetch(logout.value, {
      redirect: 'manual',
      headers: { cookie: back.jar.header() },
    });
    expect(loggedOut.status).toBe(302);
    expect(loggedOut.headers.get('location')).toBe('http://127.0.0.1:51789/');
    // The session is over: its refresh token is dead.
    expect(await login.refresh(refreshed.value.refreshToken!)).toMatchObject({ kind: 'denied' });
    // The same code again: denied (Keycloak would also revoke the session it had opened).
    expect(await login.complete(back.location!, begun.value.pending)).toMatchObject({ kind: 'denied' });
  });

  it('denies a callback whose state does not match (CSRF) and a wrong password', async () => {
    const login = gateway();
    const begun = await login.begin();
    if (begun.kind !== 'ok') throw new Error(JSON.stringify(begun));
    const back = await browserLogin(begun.value.url, 'carol-viewer', 'carol-viewer-test-only');
    const forgedState = { ...begun.value.pending, state: 'not-the-state-we-sent' };
    expect(await login.complete(back.location!, forgedState)).toMatchObject({ kind: 'denied' });

    const again = await login.begin();
    if (again.kind !== 'ok') throw new Error(JSON.stringify(again));
    const wrong = await browserLogin(again.value.url, 'carol-viewer', 'wrong');
    expect(wrong.status).toBe(200); // the login page again, with an error; no redirect, no code
  });
});

// Last: it kills Keycloak.
describe('When Keycloak is down', () => {
  it('already-issued tokens still verify (cached keys) and new logins fail as unavailable', async () => {
    const token = await passwordToken(PASSWORD_CLIENT, 'bob-analyst', 'bob-analyst-test-only');
    const cached = keycloakVerifier({ issuer: kc.issuer, audience: AUDIENCE });
    // Keys older than cacheMaxAge: refetched on every use, so the fallback to the last keys is exercised.
    const stale = keycloakVerifier({
      issuer: kc.issuer,
      audience: AUDIENCE,
      cacheMaxAgeMs: 1,
      cooldownMs: 0,
    });
    const never = keycloakVerifier({ issuer: kc.issuer, audience: AUDIENCE });
    expect((await cached.verify(token)).kind).toBe('ok');
    expect((await stale.verify(token)).kind).toBe('ok');
    const forgedToken = await forged({
      sub: 'x',
      preferred_username: 'x',
      realm_access: { roles: ['admin'] },
      tenant: 'default',
    });
    const login = loginFor(PASSWORD_CLIENT);
    expect((await login.passwordGrant('bob-analyst', 'bob-analyst-test-only')).kind).toBe('ok'); // discovered

    const killed = Date.now();
    await kc.kill();
    expect(Date.now() - killed).toBeLessThan(10_000);

    expect(await cached.verify(token)).toMatchObject({
      kind: 'ok',
      claims: { preferred_username: 'bob-analyst' },
    });
    expect(await stale.verify(token)).toMatchObject({
      kind: 'ok',
      claims: { preferred_username: 'bob-analyst' },
    });
    expect((await stale.verify(forgedToken)).kind).toBe('rejected');
    await expect(never.verify(token)).rejects.toBeInstanceOf(IdentityProviderUnavailable);

    const denied = await login.passwordGrant('bob-analyst', 'bob-analyst-test-only');
    expect(denied).toMatchObject({ kind: 'unavailable' });
    expect(await loginFor(PASSWORD_CLIENT).passwordGrant('bob-analyst', 'x')).toMatchObject({
      kind: 'unavailable',
    });
    expect(await loginFor(GATEWAY.clientId, GATEWAY.secret).begin()).toMatchObject({ kind: 'unavailable' });
  });
});
