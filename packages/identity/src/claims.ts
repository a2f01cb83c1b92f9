/** Keycloak-shaped claims: the one shape both modes verify (local JWTs and Keycloak's). */
export const ROLES = ['admin', 'analyst', 'viewer', 'monitoring'] as const;
export type Role = (typeof ROLES)[number];

export interface Claims {
  sub: string;
  preferred_username: string;
  realm_access: { roles: string[] };
  tenant: string;
}

export interface Principal {
  userId: string;
  username: string;
  roles: Role[];
  tenant: string;
}

export function principalOf(claims: Claims): Principal {
  return {
    userId: claims.sub,
    username: claims.preferred_username,
    roles: claims.realm_access.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
    tenant: claims.tenant,
  };
}
