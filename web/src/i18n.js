// Every UI string, in Chinese (the default) and English. Attribute labels come from the server's
// queryables (title = Chinese, description = English); enum labels from ./enums.js.

import { enumLabel } from './enums.js';

export const STRINGS = {
  zh: {
    'app.title': '社区网格与服务设施一张图',
    'app.subtitle': 'Grid Atlas',
    'lang.switch': 'English',
    'lang.switch.title': 'Switch to English',
    'search.placeholder': '搜索名称或代码…',
    'search.button': '搜索',
    'search.none': '未找到“{q}”',
    'search.error': '搜索失败：{msg}',
    'search.results': '搜索结果',
    'ws.map': '一张图',
    'ws.planning': '网格规划',
    'ws.underserved': '薄弱小区',
    'ws.coverage': '覆盖分析',
    'ws.planning.pending':
      '网格规划工作区将随“网格规划”接口上线：选择社区、把小区和散居楼栋划入网格、实时查看每个网格的户数与负荷（老旧小区每网格≤150户、新建小区≤300户）、连片性与紧凑度，保存草稿、与现行方案对比、自动生成方案并发布。',
    'ws.underserved.pending':
      '薄弱小区工作区将随“服务覆盖”接口上线：按三无、缺失治理项、建成年份、60岁以上人数和步行可达的服务筛选小区，按需求排序并列出依据，导出 CSV 供入户走访。',
    'ws.coverage.pending':
      '覆盖分析工作区将随“服务覆盖”接口上线：按服务类型和步行距离（300 / 500 / 1000 米）查看覆盖热力图，按街道、社区、网格列出覆盖率和每百户服务面积，并与国家标准对照；导出 PNG 地图和 CSV 表格。',
    'ws.pending.title': '尚未开放',
    'ws.pending.note': '服务器尚未提供该接口，此处不显示任何示意数据。地图、图层、搜索和要素查询已可使用。',
    'layers.title': '图层与图例',
    'layers.zoomhint': '放大到 {z} 级以上可见',
    'legend.compound.three_no': '三无小区（无物业、无业委会、无主管单位）',
    'legend.compound.missing': '缺 1–2 项治理要素',
    'legend.compound.ok': '治理要素齐全',
    'legend.building.scattered': '散居楼栋',
    'legend.building.in_compound': '小区内楼栋',
    'legend.building.cells': '楼栋汇总点（15 级以下，大小表示户数）',
    'legend.grid': '网格（每个网格不同颜色）',
    'legend.street': '街道边界',
    'legend.community': '社区边界',
    'legend.station_kinds': '站点类型',
    'legend.service_types': '服务类型（按首项服务着色）',
    'zoomto.title': '定位',
    'zoomto.street': '街道',
    'zoomto.community': '社区',
    'zoomto.grid': '网格',
    'zoomto.choose': '— 请选择 —',
    'zoomto.all': '全区',
    'feature.title': '要素属性',
    'feature.close': '关闭',
    'feature.zoom': '定位到此要素',
    'feature.id': '要素编号',
    'feature.version': '版本',
    'feature.layer': '图层',
    'feature.loading': '正在加载…',
    'feature.error': '无法加载该要素：{msg}',
    'feature.yes': '是',
    'feature.no': '否',
    'feature.empty': '—',
    'feature.three_no.badge': '三无小区',
    'feature.scattered.badge': '散居楼栋',
    'feature.missing.badge': '缺 {n} 项',
    'cell.title': '楼栋汇总',
    'cell.text': '此处约 {count} 栋楼、{households} 户。放大到 15 级查看每栋楼。',
    'cell.count': '楼栋数',
    'cell.households': '户数',
    'coords.label': '经度 {lon}，纬度 {lat}',
    'coords.none': '将鼠标移到地图上查看坐标',
    'basemap.none': '无底图（离线）',
    'error.config': '无法读取地图配置：{msg}',
    'error.tiles': '无法读取矢量瓦片：{msg}',
    'unit.m2': '㎡',
    'ws.analysis': '分析',
    'ws.error': '加载失败：{msg}',
    'unit.m': '米',
    'export.csv': '导出CSV',
    'export.png': '导出PNG',
    'us.three_no_only': '仅三无小区',
    'us.any_flag_missing': '缺任一治理项',
    'us.year_from': '建成年份 从',
    'us.year_to': '至',
    'us.min_elderly': '60岁以上人数 ≥',
    'us.out_of_reach': '步行不可达的服务，距离',
    'us.count': '共 {n} 个小区，按需求排序',
    'us.highlight': '地图上紫色描边为列表中的小区（13 级以上可见）；点击一行定位到该小区',
    'us.tier1': '一类',
    'us.tier2': '二类',
    'us.hh_eld': '{hh} 户，60岁以上 {eld} 人',
    'cov.service': '服务类型',
    'cov.threshold': '步行距离',
    'cov.level': '统计层级',
    'cov.legend': '未覆盖户数（每个六边形）',
    'cov.count': '{n} 个有住户的区域',
    'cov.chart': '{svc}：{m} 米内覆盖户数占比',
    'cov.col.name': '名称',
    'cov.col.hh': '户数',
    'cov.col.hh_pct': '户覆盖率',
    'cov.col.target_pct': '目标人群覆盖率',
    'cov.col.fa': '每百户面积/标准',
    'cov.fa.std': '标准：每百户不少于 {min} ㎡，提升目标 {max} ㎡',
    'cov.fa.note': '每百户服务面积标准：不少于 {min} ㎡（绿色为达到 {max} ㎡ 提升目标，橙色为达到最低标准，红色为未达标）。',
  },
  en: {
    'app.title': 'Grid Atlas',
    'app.subtitle': 'community grids and services on one map',
    'lang.switch': '中文',
    'lang.switch.title': '切换到中文',
    'search.placeholder': 'Search by name or code…',
    'search.button': 'Search',
    'search.none': 'Nothing found for “{q}”',
    'search.error': 'Search failed: {msg}',
    'search.results': 'Results',
    'ws.map': 'Map',
    'ws.planning': 'Grid planning',
    'ws.underserved': 'Underserved compounds',
    'ws.coverage': 'Coverage',
    'ws.planning.pending':
      "The grid-planning workspace comes with the grid-planning API: choose a community, paint compounds and scattered buildings into grids, see each grid's households and load against its cap (≤150 households per grid in old compounds, ≤300 in new ones), contiguity and compactness live; save drafts, compare with the current plan, ask for an automatic proposal and publish.",
    'ws.underserved.pending':
      'The underserved-compounds workspace comes with the coverage API: filter compounds by three-no, missing governance flags, build year, residents aged 60+ and services out of walking reach; rank them by need with the evidence listed, and export a CSV for field visits.',
    'ws.coverage.pending':
      'The coverage workspace comes with the coverage API: heatmaps per service type and walking distance (300 / 500 / 1000 m), coverage % and service floor area per 100 households per street, community and grid against the national standards; export the map as PNG and the table as CSV.',
    'ws.pending.title': 'Not available yet',
    'ws.pending.note': 'The server does not offer this API yet, so nothing is shown here — no sample data. The map, layers, search and feature details work now.',
    'layers.title': 'Layers and legend',
    'layers.zoomhint': 'visible from zoom {z}',
    'legend.compound.three_no': "Three-no compound (no property management, owners' committee or competent unit)",
    'legend.compound.missing': '1–2 governance flags missing',
    'legend.compound.ok': 'All three governance flags present',
    'legend.building.scattered': 'Scattered building',
    'legend.building.in_compound': 'Building in a compound',
    'legend.building.cells': 'Buildings per cell (below zoom 15; size = households)',
    'legend.grid': 'Grids (one colour each)',
    'legend.street': 'Street boundary',
    'legend.community': 'Community boundary',
    'legend.station_kinds': 'Station kinds',
    'legend.service_types': 'Service types (coloured by the first service)',
    'zoomto.title': 'Zoom to',
    'zoomto.street': 'Street',
    'zoomto.community': 'Community',
    'zoomto.grid': 'Grid',
    'zoomto.choose': '— choose —',
    'zoomto.all': 'Whole district',
    'feature.title': 'Feature details',
    'feature.close': 'Close',
    'feature.zoom': 'Zoom to this feature',
    'feature.id': 'Feature id',
    'feature.version': 'Version',
    'feature.layer': 'Layer',
    'feature.loading': 'Loading…',
    'feature.error': 'Could not load this feature: {msg}',
    'feature.yes': 'Yes',
    'feature.no': 'No',
    'feature.empty': '—',
    'feature.three_no.badge': 'Three-no compound',
    'feature.scattered.badge': 'Scattered building',
    'feature.missing.badge': '{n} missing',
    'cell.title': 'Buildings here',
    'cell.text': 'About {count} buildings with {households} households. Zoom to 15 to see each building.',
    'cell.count': 'Buildings',
    'cell.households': 'Households',
    'coords.label': 'Lon {lon}, Lat {lat}',
    'coords.none': 'Move the pointer over the map for coordinates',
    'basemap.none': 'No basemap (offline)',
    'error.config': 'Could not read the map configuration: {msg}',
    'error.tiles': 'Could not read the vector tiles: {msg}',
    'unit.m2': 'm²',
    'ws.analysis': 'Analysis',
    'ws.error': 'Could not load: {msg}',
    'unit.m': 'm',
    'export.csv': 'Export CSV',
    'export.png': 'Export PNG',
    'us.three_no_only': 'Three-no compounds only',
    'us.any_flag_missing': 'Any governance flag missing',
    'us.year_from': 'Built from',
    'us.year_to': 'to',
    'us.min_elderly': 'Residents 60+ at least',
    'us.out_of_reach': 'Services out of walking reach, distance',
    'us.count': '{n} compounds, ranked by need',
    'us.highlight': 'Listed compounds are outlined in purple on the map (from zoom 13); click a row to zoom there',
    'us.tier1': 'Tier 1',
    'us.tier2': 'Tier 2',
    'us.hh_eld': '{hh} households, {eld} aged 60+',
    'cov.service': 'Service',
    'cov.threshold': 'Walking distance',
    'cov.level': 'Level',
    'cov.legend': 'Households not covered (per hexagon)',
    'cov.count': '{n} area(s) with households',
    'cov.chart': '{svc}: % households within {m} m',
    'cov.col.name': 'Name',
    'cov.col.hh': 'Households',
    'cov.col.hh_pct': '% households',
    'cov.col.target_pct': '% target group',
    'cov.col.fa': 'm² per 100 hh / standard',
    'cov.fa.std': 'Standard: at least {min} m² per 100 households, stretch {max} m²',
    'cov.fa.note': 'Service floor area per 100 households: at least {min} m² (green = meets the {max} m² stretch, orange = meets the minimum, red = below).',
  },
};

const STORAGE_KEY = 'gridatlas.lang';
const listeners = new Set();

function initialLang() {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  if (fromUrl === 'en' || fromUrl === 'zh') return fromUrl;
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh') return saved;
  } catch {
    // storage unavailable (private mode): fall back to the default
  }
  return 'zh';
}

let lang = initialLang();

export function getLang() {
  return lang;
}

/** Switches the UI language and re-renders everything subscribed with `onLangChange`. */
export function setLang(next) {
  if (next !== 'zh' && next !== 'en') return;
  lang = next;
  try {
    window.localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // ignore
  }
  applyDocumentLang();
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function applyDocumentLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = lang === 'zh' ? '社区网格与服务设施一张图 · Grid Atlas' : 'Grid Atlas · 社区网格与服务设施一张图';
}

/** The UI string `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** Translates every element carrying `data-i18n` (text), `data-i18n-placeholder` or `data-i18n-title`. */
export function translateDom(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

export { enumLabel };
