/**
 * Who is calling an admin function, for the audit trail: `admin:api` (bearer token),
 * `admin:page` (the /admin page session) or `admin:cli:<os user>` (the esia-broker command).
 */
export interface AdminCall {
  actor: string;
  requestId?: string | undefined;
}

export const ADMIN_ACTORS = { api: 'admin:api', page: 'admin:page', cli: (user: string) => `admin:cli:${user}` } as const;
