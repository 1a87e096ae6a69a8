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

/** The layers each role changes, as `Role::edits` in engine/src/access.rs says. */
export const EDITED_LAYERS = {
  admin: ['streets', 'communities', 'grids', 'compounds', 'buildings', 'gates', 'stations', 'service_spaces', 'ways'],
  planner: ['grids', 'compounds', 'buildings', 'gates', 'stations', 'service_spaces', 'ways'],
  staff: ['compounds', 'buildings', 'gates', 'stations', 'service_spaces'],
  viewer: [],
};

/** Layers whose features are drawn anew on the map (新建): the ones staff keep up to date, and ways. */
export const CREATED_LAYERS = ['compounds', 'buildings', 'gates', 'stations', 'service_spaces', 'ways'];

/** Whether an account's role changes features of `layer` at all (scope aside). */
export function editsLayer(account, layer) {
  return Boolean(account && (EDITED_LAYERS[account.role] || []).includes(layer));
}

/** Whether a scope covers a whole street (9-digit code): the district, or that street. */
export function scopeCoversStreet(scope, street) {
  if (!scope || scope === 'district') return true;
  const [kind, code] = scope.split(':');
  return kind === 'street' && code === street;
}

/**
 * Whether an account may change a feature of `layer` with properties `props`: its role edits the
 * layer and its scope covers where the feature lies — a street by its code, a community by its
 * code, a way by its street, anything else by its `community_code` (`engine::access::may_change`).
 */
export function mayEdit(account, layer, props = {}) {
  if (!editsLayer(account, layer)) return false;
  if (layer === 'streets') return scopeCoversStreet(account.scope, String(props.code ?? ''));
  // A way lies in its street; beyond every street, only the whole district covers it.
  if (layer === 'ways') return props.street_code ? scopeCoversStreet(account.scope, String(props.street_code)) : (account.scope || 'district') === 'district';
  const community = layer === 'communities' ? props.code : props.community_code;
  return Boolean(community) && scopeCovers(account.scope, String(community));
}

/** The layers an account may draw new features in (新建), in the map's order. */
export function creatableLayers(account) {
  return CREATED_LAYERS.filter((l) => editsLayer(account, l));
}
