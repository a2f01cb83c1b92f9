export * from './claims.ts';
export * from './keycloak-verifier.ts';
export * from './local-accounts.ts';
export * from './local-token-issuer.ts';
export * from './oidc-login.ts';
export * from './password-hash.ts';
export * from './token-verifier.ts';
