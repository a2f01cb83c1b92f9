export * from './claims.ts';
export * from './local-accounts.ts';
export * from './local-token-issuer.ts';
export * from './password-hash.ts';
export * from './token-verifier.ts';
