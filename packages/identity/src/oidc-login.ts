import * as oidc from 'openid-client';

/**
 * The gateway's browser login against Keycloak (OpenID Connect authorization code + PKCE S256) with
 * `openid-client`. Only the protocol lives here: where the pending login and the tokens are kept
 * (cookies, a session store) is the gateway's business.
 *
 * Every call that talks to Keycloak returns a result instead of throwing:
 * - `denied`: Keycloak answered no (bad credentials, a used or expired code, a callback whose state,
 *   nonce or PKCE do not match): the gateway answers 401 / starts a new login;
 * - `unavailable`: Keycloak could not be reached or failed (network, timeout, 5xx): 503.
 */
export type OidcResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'denied'; error: string; detail: string }
  | { kind: 'unavailable'; detail: string };

export interface OidcLoginOptions {
  /** The realm's issuer, e.g. https://sso.example.com/realms/q2h (discovery: `${issuer}/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  /** Confidential client's secret (sent as client_secret_basic). Omit for a public client. */
  clientSecret?: string;
  /** The gateway's callback, registered on the client, e.g. https://q2h.example.com/api/auth/callback */
  redirectUri: string;
  /** Default `openid profile email`. */
  scope?: string;
  /** Plain-HTTP issuer (local Keycloak, tests). Never in production. */
  allowHttp?: boolean;
  /** Timeout of each request to Keycloak, in seconds. Default 10. */
  timeoutSeconds?: number;
}

/** What the gateway keeps between `begin` and `complete` (short-lived, tamper-proof, e.g. an encrypted cookie). */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  /** Seconds until the access token expires, as Keycloak said. */
  expiresIn: number | undefined;
}

export interface OidcLogin {
  /** The URL to send the browser to, and what to remember until it comes back. */
  begin(): Promise<OidcResult<{ url: string; pending: PendingLogin }>>;
  /** The browser came back to `callbackUrl` (full URL with `code` and `state`): exchange the code. */
  complete(callbackUrl: string | URL, pending: PendingLogin): Promise<OidcResult<Tokens>>;
  /** New tokens for a refresh token (Keycloak rotates it: keep the new one). */
  refresh(refreshToken: string): Promise<OidcResult<Tokens>>;
  /** Keycloak's end-session URL (RP-initiated logout), back to `postLogoutRedirectUri` if registered. */
  logoutUrl(idToken: string | undefined, postLogoutRedirectUri?: string): Promise<OidcResult<string>>;
  /**
   * Resource-owner password grant. Only for clients with "direct access grants" enabled, which the
   * production realm does not do: tests and scripts.
   */
  passwordGrant(username: string, password: string): Promise<OidcResult<Tokens>>;
}

function tokensOf(response: oidc.TokenEndpointResponse): Tokens {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    idToken: response.id_token,
    expiresIn: response.expires_in,
  };
}

const UNAVAILABLE_CODES = new Set([
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
]);

/** Sorts what openid-client throws into `denied` and `unavailable`. */
export function oidcFailure(error: unknown): Exclude<OidcResult<never>, { kind: 'ok' }> {
  if (error instanceof oidc.ResponseBodyError) {
    return error.status >= 500
      ? { kind: 'unavailable', detail: `Keycloak answered ${error.status} ${error.error}` }
      : { kind: 'denied', error: error.error, detail: error.error_description ?? error.error };
  }
  if (error instanceof oidc.AuthorizationResponseError) {
    return { kind: 'denied', error: error.error, detail: error.error_description ?? error.error };
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    return { kind: 'denied', error: 'invalid_client', detail: error.message };
  }
  if (error instanceof TypeError) {
    // fetch() failing: refused, reset, DNS.
    const cause = (error.cause as { code?: string; message?: string } | undefined) ?? {};
    return {
      kind: 'unavailable',
      detail: `Keycloak unreachable (${cause.code ?? cause.message ?? error.message})`,
    };
  }
  if (error instanceof oidc.ClientError) {
    if (error.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN') throw error; // misconfiguration: an http:// issuer without allowHttp
    if (error.code && UNAVAILABLE_CODES.has(error.code)) {
      return { kind: 'unavailable', detail: `Keycloak failed: ${error.message} (${error.code})` };
    }
    return {
      kind: 'denied',
      error: 'invalid_response',
      detail: `${error.message} (${error.code ?? 'no code'})`,
    };
  }
  throw error;
}

async function attempt<T>(work: () => Promise<T>): Promise<OidcResult<T>> {
  try {
    return { kind: 'ok', value: await work() };
  } catch (error) {
    return oidcFailure(error);
  }
}

/**
 * The login helpers for one client. Discovery is lazy and memoized: the gateway starts while Keycloak
 * is down, and the first call after Keycloak is back discovers it.
 */
export function oidcLogin(options: OidcLoginOptions): OidcLogin {
  const scope = options.scope ?? 'openid profile email';
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(
        new URL(options.issuer),
        options.clientId,
        options.clientSecret,
        options.clientSecret ? oidc.ClientSecretBasic(options.clientSecret) : oidc.None(),
        {
          execute: options.allowHttp ? [oidc.allowInsecureRequests] : [],
          timeout: options.timeoutSeconds ?? 10,
        },
      )
      .catch((error: unknown) => {
        discovered = undefined; // try again next time
        throw error;
      });
    return discovered;
  };

  const beginLogin = () =>
    attempt(async () => {
      const config = await configuration();
      const pending: PendingLogin = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
      };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, pending };
    });

  /** Why Keycloak cannot take a login now (unreachable, 5xx), or undefined when it can. */
  const unreachable = async (): Promise<string | undefined> => {
    try {
      const config = await configuration();
      const url = config.serverMetadata().authorization_endpoint ?? options.issuer;
      const response = await fetch(url, {
        method: 'HEAD',
        signal: AbortSignal.timeout((options.timeoutSeconds ?? 10) * 1000),
      });
      return response.status >= 500 ? `Keycloak answered ${response.status}` : undefined;
    } catch (error) {
      const failure =
        error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
      return `Keycloak unreachable (${failure})`;
    }
  };

  return {
    begin: async () => {
      // Sending the browser to a Keycloak that is down would end on a browser error page: check first.
      const down = await unreachable();
      return down ? { kind: 'unavailable', detail: down } : beginLogin();
    },

    complete: (callbackUrl, pending) =>
      attempt(async () => {
        const config = await configuration();
        const response = await oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        return tokensOf(response);
      }),

    refresh: (refreshToken) =>
      attempt(async () => tokensOf(await oidc.refreshTokenGrant(await configuration(), refreshToken))),

    logoutUrl: (idToken, postLogoutRedirectUri) =>
      attempt(async () => {
        const parameters: Record<string, string> = { client_id: options.clientId };
        if (idToken) parameters['id_token_hint'] = idToken;
        if (postLogoutRedirectUri) parameters['post_logout_redirect_uri'] = postLogoutRedirectUri;
        return oidc.buildEndSessionUrl(await configuration(), parameters).href;
      }),

    passwordGrant: (username, password) =>
      attempt(async () =>
        tokensOf(
          await oidc.genericGrantRequest(await configuration(), 'password', { username, password, scope }),
        ),
      ),
  };
}
