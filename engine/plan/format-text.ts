/** A plan as `telem plan` prints it, after terraform's: one block per action, the loud lines, a summary. */
import { PLAN_SYMBOL, type PlanAction } from './action.js';
import { showValue } from './values.js';

export interface PlanSide {
  /** The file, "the running agent", …, as the user named it. */
  readonly label: string;
  readonly name: string;
  readonly revision: number;
}

function changeLine(action: PlanAction, change: PlanAction['changes'][number]): string {
  const path = change.path === '' ? action.name : change.path;
  if (action.kind === 'add') return `      + ${path}: ${showValue(path, change.after)}`;
  if (action.kind === 'remove') return `      - ${path}: ${showValue(path, change.before)}`;
  if (change.path === 'order') return `      ~ position: ${Number(change.before) + 1} → ${Number(change.after) + 1}`;
  return `      ~ ${path}: ${showValue(path, change.before)} → ${showValue(path, change.after)}`;
}

export function summarizePlan(actions: readonly PlanAction[]): { add: number; change: number; remove: number } {
  const count = (kind: PlanAction['kind']) => actions.filter((action) => action.kind === kind).length;
  return { add: count('add'), change: count('change'), remove: count('remove') };
}

export function formatPlanText(actions: readonly PlanAction[], from: PlanSide, to: PlanSide): string {
  const header = `Plan: ${from.label} (${from.name} revision ${from.revision}) → ${to.label} (${to.name} revision ${to.revision})\n`;
  if (actions.length === 0) return `${header}\nNo changes.\n`;
  const blocks = actions.map((action) => [`  ${PLAN_SYMBOL[action.kind]} ${action.entity} "${action.name}"`, ...action.changes.map((change) => changeLine(action, change))].join('\n'));
  const warnings = actions
    .filter((action) => action.impact !== 'neutral')
    .map((action) => `Warning: ${action.impact === 'data-loss' ? 'DATA LOSS' : 'PRIVACY'}: ${action.entity} "${action.name}": ${action.reason}`);
  const { add, change, remove } = summarizePlan(actions);
  return [
    header,
    ...blocks.map((block) => `${block}\n`),
    ...(warnings.length > 0 ? [`${warnings.join('\n')}\n`] : []),
    `Plan: ${add} to add, ${change} to change, ${remove} to remove.\n`,
  ].join('\n');
}
