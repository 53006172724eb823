// The admin web: server, the HTTP abstraction route modules are written against, and the
// password hashing the CLI's `passwd` shares.
export { startWeb, type WebOptions, type WebServer } from './server.ts';
export {
  HttpError,
  Router,
  errorReply,
  type Handler,
  type Req,
  type Res,
  type RouteModule,
  type Routes,
  type StreamWriter,
} from './http.ts';
export { hashPassword, verifyPassword } from './auth.ts';
export type { Appliance, LinkState, LiveCall, Supervision } from './appliance.ts';
export { MAX_BODY, type Adapter } from './transport.ts';
export { uwsAdapter } from './uws.ts';
