// The standards behind the analyses in words (`GET /api/standards`, engine/src/analysis/standards.rs):
// each service's life circle 生活圈 of GB 50180-2018 (5/10/15 minutes ≈ 300/500/1000 m on foot),
// threshold, target group and the documents its rule comes from; the floor-area standard; the
// tiers of the underserved list. Pure: the words come through the `t` passed in.

/** Walking minutes of a life circle as the server names it (`5min`, `10min`, `15min`), or null. */
export function lifeCircleMinutes(circle) {
  const m = /^(\d+)min$/.exec(String(circle ?? ''));
  return m ? Number(m[1]) : null;
}

/**
 * The documents a rule's `source` cites, each once in the order cited: a code and its title
 * (GB 50180-2018《城市居住区规划设计标准》, 国办函〔2023〕121号《…》) or a title alone (《完整社区建设指南》).
 */
export function documentsOf(source) {
  const found = String(source ?? '').match(/(?:GB\s?\d+-\d{4}|国办[函发]〔\d{4}〕\d+号)?《[^》]+》/g) || [];
  return [...new Set(found.map((d) => d.trim()))];
}

/** The standard of `service` in the body of `/api/standards`, or null. */
export function serviceStandard(standards, service) {
  return (standards?.services || []).find((s) => s.service === service) || null;
}

/** A life circle in words: "10分钟生活圈". */
export function circleText(circle, t) {
  const min = lifeCircleMinutes(circle);
  return min === null ? String(circle ?? '') : t('std.circle', { min });
}

/** A target group in words (全体住户, 60岁及以上老年人, …). */
export function targetText(group, t) {
  const key = `std.target.${group}`;
  const s = t(key);
  return s === key ? String(group ?? '') : s;
}

/**
 * One service's standard in words: "养老服务：10分钟生活圈，步行 500 米以内算覆盖；服务对象：
 * 60岁及以上老年人" (`svc(name)` gives a service's label; `threshold` overrides the standard's).
 */
export function serviceRule(std, t, svc, threshold = null) {
  if (!std) return '';
  return t('std.service', {
    svc: svc(std.service), circle: circleText(std.life_circle, t), m: Math.round(threshold ?? std.threshold_m), group: targetText(std.target_group, t),
  });
}

/** The documents behind a service's standard in words: "依据：国办函〔2023〕121号《…》；GB 50180-2018《…》". */
export function sourcesText(source, t) {
  const docs = documentsOf(source);
  return docs.length ? t('std.sources', { list: docs.join(t('std.list_sep')) }) : '';
}

/**
 * The tiers of the underserved list in words (`rules`: the standards' `underserved`): tier 1,
 * tier 2 and how rows are ranked, as three sentences.
 */
export function tierRules(rules, t, svc) {
  const r = rules || {};
  const list = (xs) => (xs || []).map(svc).join(t('std.and_sep'));
  return {
    tier1: t('us.rule.tier1', { eld: r.min_elderly ?? 50, svcs: list(r.tier1_services) }),
    tier2: t('us.rule.tier2', { svcs: list(r.priority_services), n: r.tier2_min_gaps ?? 2 }),
    rank: t('us.rule.rank'),
  };
}

/** The floor-area standard in words (`fa`: the standards' `floor_area`). */
export function floorAreaRule(fa, t) {
  return t('std.floor_area', {
    min: fa?.minimum_m2_per_100_households ?? 30, max: fa?.stretch_m2_per_100_households ?? 80,
    docs: documentsOf(fa?.source).join(t('std.list_sep')) || '—',
  });
}

/** The complete-community checklist in words (`std`: the body of `/api/standards`). */
export function checklistRule(std, t) {
  const items = std?.checklist || [];
  if (!items.length) return '';
  const item = (name) => {
    const key = `std.item.${name}`;
    const s = t(key);
    return s === key ? name : s;
  };
  return t('std.checklist', {
    docs: [...new Set(items.flatMap((i) => documentsOf(i.source)))].join(t('std.list_sep')) || '—',
    items: items.map((i) => item(i.item)).join(t('std.list_sep')),
    m: Math.round(items[0].threshold_m), share: Math.round((std.checklist_min_household_share ?? 0.5) * 100),
  });
}

/** The embedded service complex rule in words (`std.complex`; `svc(name)`: a service's label). */
export function complexRule(std, t, svc) {
  const c = std?.complex;
  if (!c) return '';
  return t('std.complex', {
    docs: documentsOf(c.source).join(t('std.list_sep')) || '—', area: c.min_floor_area_m2, n: c.min_functions,
    care: c.min_care_functions, cares: (c.care_services || []).map(svc).join(t('std.list_sep')),
  });
}
