/**
 * Upstream matches record headers the way WSGI does: case-insensitively, with "-" and "_" the
 * same (so `machine_id`, `Machine-Id` and `MACHINE-ID` are one header). Names are kept in the
 * canonical lower_snake form; messages use upstream's Title-Dash spelling.
 */

export function canonicalName(name: string): string {
  return name.toLowerCase().replaceAll('-', '_');
}

/** "machine_id" → "Machine-Id", "x_telemetry_tid" → "X-Telemetry-Tid" (as in upstream's messages). */
export function titleName(canonical: string): string {
  return canonical
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-');
}

export const TID_FIELD = 'x_telemetry_tid';
export const EXTERNAL_FIELD = 'x_clr_external';
