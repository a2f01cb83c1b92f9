import type { Account, LocalAccounts, LocalTokenIssuer } from '@q2h/identity';
import { ProblemError, problem } from '@q2h/platform';
import express, { Router } from 'express';
import { z } from 'zod';
import { PASSWORD_CHANGE_CLAIM } from './authenticate.ts';

const Login = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) });
const PasswordChange = z.object({
  currentPassword: z.string().min(1).max(1000),
  newPassword: z.string().min(1).max(1000),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProblemError(
      problem(400, 'invalid-body', `${issue?.path.join('.') || 'body'}: ${issue?.message}`),
    );
  }
  return parsed.data;
}

/** Local login (embedded mode): tokens signed by the gateway with Keycloak-shaped claims. */
export function authRoutes(deps: {
  accounts: LocalAccounts;
  issuer: LocalTokenIssuer;
  tenant: string;
  ttlMinutes: number;
}) {
  const issue = (account: Account) =>
    deps.issuer.issue(
      {
        sub: account.id,
        preferred_username: account.username,
        realm_access: { roles: account.roles },
        tenant: account.tenant,
        ...(account.mustChangePassword ? { [PASSWORD_CHANGE_CLAIM]: true } : {}),
      },
      deps.ttlMinutes * 60,
    );
  const user = (account: Account) => ({ username: account.username, roles: account.roles });

  /** Before authentication: only login is public. */
  const publicRouter = Router();
  publicRouter.get('/auth/config', (_req, res) => {
    res.json({ mode: 'local' });
  });
  publicRouter.post('/auth/login', express.json({ limit: '16kb' }), async (req, res) => {
    const { username, password } = parse(Login, req.body);
    const result = await deps.accounts.login(deps.tenant, username, password);
    if (result.kind === 'locked') {
      throw new ProblemError(
        problem(423, 'account-locked', 'too many failed logins: try again in a few minutes'),
      );
    }
    if (result.kind === 'invalid')
      throw new ProblemError(problem(401, 'invalid-credentials', 'wrong username or password'));
    res.json({
      token: await issue(result.account),
      mustChangePassword: result.account.mustChangePassword,
      user: user(result.account),
    });
  });

  /** After authentication. */
  const router = Router();
  router.post('/auth/password', express.json({ limit: '16kb' }), async (req, res) => {
    const { currentPassword, newPassword } = parse(PasswordChange, req.body);
    const principal = req.principal!;
    const result = await deps.accounts.changePassword(
      principal.tenant,
      principal.userId,
      currentPassword,
      newPassword,
    );
    if (result.kind === 'invalid')
      throw new ProblemError(problem(401, 'invalid-credentials', 'the current password is wrong'));
    if (result.kind === 'weak')
      throw new ProblemError(problem(422, 'weak-password', result.reason, { field: 'newPassword' }));
    res.json({ token: await issue(result.account), mustChangePassword: false, user: user(result.account) });
  });
  router.get('/me', async (req, res) => {
    const principal = req.principal!;
    const account = await deps.accounts.get(principal.tenant, principal.userId);
    res.json({
      username: principal.username,
      roles: principal.roles,
      tenant: principal.tenant,
      mustChangePassword: account?.mustChangePassword ?? false,
    });
  });
  return { publicRouter, router };
}
