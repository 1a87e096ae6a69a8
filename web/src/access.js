// Who may do what, as the map needs to know it to hide what the server would refuse (the server
// decides; see engine/src/access.rs). Pure: no DOM, no storage.

/** Roles that may change grids. */
export const PLANNING_ROLES = ['admin', 'planner'];

/** Whether an account (`{ role }`, or null when signed out) may plan grids. */
export function mayPlan(account) {
  return Boolean(account && PLANNING_ROLES.includes(account.role));
}

/** Whether an account scope (`district`, `street:<code>`, `community:<code>`) covers a community. */
export function scopeCovers(scope, community) {
  if (!scope || scope === 'district') return true;
  const [kind, code] = scope.split(':');
  if (kind === 'street') return String(community).startsWith(code);
  if (kind === 'community') return community === code;
  return false;
}

/** The community an account is limited to (`community:<code>` scope), or null. */
export function scopedCommunity(account) {
  const scope = account?.scope || '';
  return scope.startsWith('community:') ? scope.slice('community:'.length) : null;
}

/** Whether an account sees the store's data problems (`GET /api/problems` answers admins only). */
export function mayReviewProblems(account) {
  return account?.role === 'admin';
}
