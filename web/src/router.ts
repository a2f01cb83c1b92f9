import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { setUnauthorizedHandler } from './api/client';
import { loadCurrentUser } from './composables/use-auth';
import { auth, clearSession, hasAnyRole } from './stores/auth';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: true;
    /** Any of these roles is required (none listed: any signed-in user). */
    roles?: string[];
    title?: string;
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/overview' },
  {
    path: '/login',
    name: 'login',
    component: () => import('./pages/LoginPage.vue'),
    meta: { public: true, title: 'Sign in' },
  },
  {
    path: '/password',
    name: 'password',
    component: () => import('./pages/PasswordPage.vue'),
    meta: { title: 'Change password' },
  },
  {
    path: '/overview',
    name: 'overview',
    component: () => import('./pages/OverviewPage.vue'),
    meta: { title: 'Overview' },
  },
  {
    path: '/imports',
    name: 'imports',
    component: () => import('./pages/ImportsPage.vue'),
    meta: { roles: ['admin', 'analyst'], title: 'Imports' },
  },
  {
    path: '/folders',
    name: 'folders',
    component: () => import('./pages/FoldersPage.vue'),
    meta: { roles: ['admin'], title: 'Watched folders' },
  },
  { path: '/:pathMatch(.*)*', redirect: '/overview' },
];

export const router = createRouter({ history: createWebHistory('/'), routes });

// Guard chain: not signed in → /login; must change password → /password; role missing → /overview.
router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!auth.token) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  try {
    await loadCurrentUser();
  } catch {
    clearSession();
    return { name: 'login' };
  }
  if (auth.mustChangePassword) return to.name === 'password' ? true : { name: 'password' };
  if (!hasAnyRole(to.meta.roles)) return to.name === 'overview' ? true : { name: 'overview' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · q2h` : 'q2h';
});

setUnauthorizedHandler(() => {
  clearSession();
  const current = router.currentRoute.value;
  if (!current.meta.public) {
    void router.replace({ name: 'login', query: { redirect: current.fullPath } });
  }
});
