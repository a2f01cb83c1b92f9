import { reactive } from 'vue';

// Tiny reactive session store. The token lives in sessionStorage (per tab, gone when the tab
// closes); the user is re-read from GET /api/me after a reload.

const TOKEN_KEY = 'q2h.token';

export interface SessionUser {
  username: string;
  roles: string[];
  tenant?: string;
}

interface AuthState {
  token: string | null;
  user: SessionUser | null;
  mustChangePassword: boolean;
}

function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function writeToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable (private mode): keep the session in memory only
  }
}

export const auth = reactive<AuthState>({
  token: readToken(),
  user: null,
  mustChangePassword: false,
});

export function setSession(token: string, user: SessionUser | null, mustChangePassword: boolean): void {
  auth.token = token;
  if (user) auth.user = user;
  auth.mustChangePassword = mustChangePassword;
  writeToken(token);
}

export function clearSession(): void {
  auth.token = null;
  auth.user = null;
  auth.mustChangePassword = false;
  writeToken(null);
}

export function hasAnyRole(roles: readonly string[] | undefined): boolean {
  if (!roles || roles.length === 0) return true;
  const mine = auth.user?.roles ?? [];
  return roles.some((r) => mine.includes(r));
}
