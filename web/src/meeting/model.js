// Pure helpers of the print and trend views (no DOM): what a chart plots of a trend, and how a
// change since last month reads.

/** The trend's points in time order, each `{ label, values: { coverage, property, owners } }` (null where a month has no data), plus the months without data and why (`not_yet` or `irreversible`). */
export function trendSeries(trend, service) {
  const points = [...(trend.months || []), { ...trend.now, month: null }];
  const series = points.map((p) => {
    const i = p.indicators;
    return {
      label: p.month,
      values: i
        ? {
            coverage: i.coverage_pct?.[service] ?? null,
            property: i.property_management_pct ?? null,
            owners: i.owners_committee_pct ?? null,
          }
        : null,
      work: p.work,
    };
  });
  const missing = (trend.months || []).filter((p) => !p.indicators).map((p) => ({ month: p.month, why: p.unavailable || 'not_yet' }));
  return { series, missing };
}

/** A signed change with one decimal ("+2.1", "−0.5"), or null when either side is missing. */
export function signed(delta) {
  if (delta === null || delta === undefined || Number.isNaN(delta)) return null;
  const r = Math.round(delta * 10) / 10;
  if (r === 0) return '0';
  return r > 0 ? `+${r.toFixed(1)}` : `−${Math.abs(r).toFixed(1)}`;
}

/** The y of `value` (0–100 %) in a plot `height` tall. */
export const yOf = (value, height) => height - (Math.max(0, Math.min(100, value)) / 100) * height;
