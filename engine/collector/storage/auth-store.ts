/**
 * The store's part for authentication (RecordStore.auth): API tokens and browser sessions, stored
 * as digests (storage/auth-sql.ts). Types only, so the web UI's type check can read them.
 */

export type TokenRole = 'read' | 'admin';

/** An API token as listed: everything but its digest. Times in ms. */
export interface ApiToken {
  readonly id: number;
  readonly name: string;
  readonly role: TokenRole;
  readonly created_at: number;
  readonly last_used_at: number | null;
  readonly revoked_at: number | null;
}

/** An active token with its digest, for checking a bearer token against. */
export interface ActiveToken extends ApiToken {
  readonly digest: string;
}

export interface StoredSession {
  readonly id: number;
  readonly expires_at: number;
  /** The token it was opened with; a revoked token ends its sessions. */
  readonly token: ApiToken;
}

export interface AuthStore {
  /** Stores a new token; null when an active token has the name already. */
  createToken(token: { readonly name: string; readonly role: TokenRole; readonly digest: string }, now: number): Promise<ApiToken | null>;
  /** Every token, revoked ones too, oldest first. */
  listTokens(): Promise<ApiToken[]>;
  /** Revokes the active token of this name (and so its sessions); null when there is none. */
  revokeToken(name: string, now: number): Promise<ApiToken | null>;
  /** The tokens not revoked, with their digests. */
  activeTokens(): Promise<ActiveToken[]>;
  /** Counts the active tokens of a role (or of any role). */
  countActive(role?: TokenRole): Promise<number>;
  touchToken(id: number, now: number): Promise<void>;
  createSession(session: { readonly digest: string; readonly tokenId: number; readonly expiresAt: number }, now: number): Promise<void>;
  /** The session of this digest, if it has not expired and its token is not revoked. */
  session(digest: string, now: number): Promise<StoredSession | null>;
  extendSession(id: number, expiresAt: number): Promise<void>;
  endSession(digest: string): Promise<void>;
}
