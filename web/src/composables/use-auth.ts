import { computed } from 'vue';
import { api } from '../api/client';
import { auth, clearSession, setSession } from '../stores/auth';

/** Session actions: login, forced password change, logout, reload of the current user. */
export function useAuth() {
  const isAuthenticated = computed(() => auth.token !== null);
  const username = computed(() => auth.user?.username ?? '');
  const roles = computed(() => auth.user?.roles ?? []);

  async function login(username: string, password: string): Promise<{ mustChangePassword: boolean }> {
    const res = await api.login({ username, password });
    setSession(res.token, res.user, res.mustChangePassword);
    return { mustChangePassword: res.mustChangePassword };
  }

  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const res = await api.changePassword({ currentPassword, newPassword });
    setSession(res.token, auth.user, res.mustChangePassword);
  }

  async function logout(): Promise<void> {
    clearSession();
    const config = await api.authConfig().catch(() => null);
    if (config?.mode !== 'sso') return;
    const { logoutUrl } = await api.ssoLogout().catch(() => ({ logoutUrl: null }));
    if (logoutUrl) window.location.assign(logoutUrl);
  }

  return { auth, isAuthenticated, username, roles, login, changePassword, logout };
}

/** SSO mode: a gateway session (after Keycloak's login) becomes this tab's session; false when there is none. */
export async function resumeSsoSession(): Promise<boolean> {
  try {
    const res = await api.ssoSession();
    setSession(res.token, res.user, false);
    return true;
  } catch {
    return false;
  }
}

/** After a reload only the token is known: fetch who we are. Throws if the token is no longer valid. */
export async function loadCurrentUser(): Promise<void> {
  if (!auth.token || auth.user) return;
  const me = await api.me();
  auth.user = { username: me.username, roles: me.roles, tenant: me.tenant };
  auth.mustChangePassword = me.mustChangePassword;
}
