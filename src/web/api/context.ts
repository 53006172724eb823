// What the built-in API modules get besides the Routes: the auth state (sessions,
// password changes) that route modules from other folders never need.
import type { Auth } from '../auth.ts';
import type { Appliance } from '../appliance.ts';
import type { Routes, Req } from '../http.ts';
import type { IncomingReq } from '../transport.ts';

export interface ApiContext {
  app: Appliance;
  auth: Auth;
}

export type ApiModule = (r: Routes, ctx: ApiContext) => void;

/** The client IP the adapter attached to the request ('' if none). */
export function clientIp(req: Req): string {
  return (req as Partial<IncomingReq>).ip ?? '';
}
