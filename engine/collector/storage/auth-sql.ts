/**
 * API tokens and browser sessions (migration 9), written once for both backends. Only SHA-256
 * digests are stored: a token's text is printed once by `telem collector token create`, a
 * session id lives only in the browser's cookie, so reading the database gives neither.
 */
import type { ApiToken, AuthStore } from './auth-store.js';
import type { ColumnType } from './dialect.js';
import type { SqlExecutor } from './rollout-sql.js';
import type { Row } from './rows.js';

export const API_TOKENS = 'api_tokens';
export const API_SESSIONS = 'api_sessions';

export const TOKEN_COLUMNS: readonly (readonly [string, ColumnType, 'null'?])[] = [
  ['id', 'id'],
  ['name', 'text'],
  ['role', 'text'],
  ['digest', 'text'],
  ['created_at', 'bigint'],
  ['last_used_at', 'bigint', 'null'],
  ['revoked_at', 'bigint', 'null'],
];

export const SESSION_COLUMNS: readonly (readonly [string, ColumnType, 'null'?])[] = [
  ['id', 'id'],
  ['digest', 'text'],
  ['token_id', 'bigint'],
  ['created_at', 'bigint'],
  ['expires_at', 'bigint'],
];

const LISTED = 'id, name, role, created_at, last_used_at, revoked_at';

function tokenOf(row: Row): ApiToken {
  return {
    id: Number(row.id),
    name: String(row.name),
    role: row.role === 'admin' ? 'admin' : 'read',
    created_at: Number(row.created_at),
    last_used_at: row.last_used_at === null ? null : Number(row.last_used_at),
    revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** A unique index refused the row: SQLite's and PostgreSQL's codes. */
function uniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

export function authSql(db: SqlExecutor): AuthStore {
  return {
    async createToken(token, now) {
      try {
        // The partial unique index refuses a second active name too (two creates racing on PostgreSQL); the
        // cast types the parameter, which PostgreSQL cannot infer in a SELECT list.
        const rows = await db.all(
          `INSERT INTO ${API_TOKENS} (name, role, digest, created_at) SELECT ?, ?, ?, CAST(? AS BIGINT) ` +
            `WHERE NOT EXISTS (SELECT 1 FROM ${API_TOKENS} WHERE name = ? AND revoked_at IS NULL) RETURNING ${LISTED}`,
          [token.name, token.role, token.digest, now, token.name],
        );
        return rows[0] ? tokenOf(rows[0]) : null;
      } catch (error) {
        if (uniqueViolation(error)) return null;
        throw error;
      }
    },
    listTokens: async () => (await db.all(`SELECT ${LISTED} FROM ${API_TOKENS} ORDER BY id`, [])).map(tokenOf),
    async revokeToken(name, now) {
      const rows = await db.all(`UPDATE ${API_TOKENS} SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING ${LISTED}`, [now, name]);
      if (!rows[0]) return null;
      const revoked = tokenOf(rows[0]);
      await db.run(`DELETE FROM ${API_SESSIONS} WHERE token_id = ?`, [revoked.id]);
      return revoked;
    },
    activeTokens: async () =>
      (await db.all(`SELECT ${LISTED}, digest FROM ${API_TOKENS} WHERE revoked_at IS NULL ORDER BY id`, [])).map((row) => ({ ...tokenOf(row), digest: String(row.digest) })),
    async countActive(role) {
      const rows = await db.all(`SELECT COUNT(*) AS count FROM ${API_TOKENS} WHERE revoked_at IS NULL${role === undefined ? '' : ' AND role = ?'}`, role === undefined ? [] : [role]);
      return Number(rows[0]?.count ?? 0);
    },
    async touchToken(id, now) {
      await db.run(`UPDATE ${API_TOKENS} SET last_used_at = ? WHERE id = ?`, [now, id]);
    },
    async createSession(session, now) {
      // Expired sessions go when a new one comes: the table holds only what could still be used.
      await db.run(`DELETE FROM ${API_SESSIONS} WHERE expires_at <= ?`, [now]);
      await db.run(`INSERT INTO ${API_SESSIONS} (digest, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)`, [session.digest, session.tokenId, now, session.expiresAt]);
    },
    async session(digest, now) {
      const rows = await db.all(
        `SELECT s.id AS session_id, s.expires_at AS expires_at, t.id AS id, t.name AS name, t.role AS role, t.created_at AS created_at, ` +
          `t.last_used_at AS last_used_at, t.revoked_at AS revoked_at FROM ${API_SESSIONS} s JOIN ${API_TOKENS} t ON t.id = s.token_id ` +
          'WHERE s.digest = ? AND s.expires_at > ? AND t.revoked_at IS NULL',
        [digest, now],
      );
      const row = rows[0];
      return row ? { id: Number(row.session_id), expires_at: Number(row.expires_at), token: tokenOf(row) } : null;
    },
    async extendSession(id, expiresAt) {
      await db.run(`UPDATE ${API_SESSIONS} SET expires_at = ? WHERE id = ?`, [expiresAt, id]);
    },
    async endSession(digest) {
      await db.run(`DELETE FROM ${API_SESSIONS} WHERE digest = ?`, [digest]);
    },
  };
}
