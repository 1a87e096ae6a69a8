// Enum values: wire name → { zh, en }. Mirrors engine/src/model.rs (`domain_enum!`): the Chinese
// labels are the engine's `label_zh`; the English ones are this map's own.
// Keep the two in step when the engine adds a value; unknown values are shown as their wire name.

export const ENUMS = {
  community_kind: {
    urban: { zh: '城市社区', en: 'Urban community' },
    new_build: { zh: '新建社区', en: 'Newly built community' },
    old: { zh: '老旧社区', en: 'Old community' },
    village_converted: { zh: '村改居社区', en: 'Village-converted community' },
  },
  compound_class: {
    old: { zh: '老旧小区', en: 'Old compound' },
    new: { zh: '新建小区', en: 'New compound' },
    commodity: { zh: '商品房小区', en: 'Commodity housing' },
    resettlement: { zh: '安置小区', en: 'Resettlement compound' },
    unit_owned: { zh: '单位宿舍', en: 'Work-unit dormitory' },
  },
  property_management: {
    professional: { zh: '专业物业', en: 'Professional property management' },
    community_hosted: { zh: '社区托管', en: 'Hosted by the community' },
    joint: { zh: '连片物业', en: 'Joint (shared across compounds)' },
    none: { zh: '无物业', en: 'None' },
  },
  gate_kind: {
    pedestrian: { zh: '人行出入口', en: 'Pedestrian gate' },
    vehicle: { zh: '车行出入口', en: 'Vehicle gate' },
    mixed: { zh: '人车混行出入口', en: 'Pedestrian and vehicle gate' },
  },
  station_kind: {
    party_mass_centre: { zh: '党群服务中心', en: 'Party-mass service centre' },
    social_work_station: { zh: '社工站', en: 'Social-work station' },
    grid_post: { zh: '网格驿站', en: 'Grid post' },
    party_post: { zh: '党员服务点', en: 'Party-member service point' },
    health_station: { zh: '社区卫生服务站', en: 'Community health station' },
    parcel_station: { zh: '快递驿站', en: 'Parcel station' },
    convenience_point: { zh: '便民服务点', en: 'Convenience point' },
    community_service_station: { zh: '社区综合服务站', en: 'Community service station' },
    kindergarten: { zh: '幼儿园', en: 'Kindergarten' },
  },
  service_type: {
    elderly_care: { zh: '养老服务', en: 'Elderly care' },
    childcare: { zh: '托育服务', en: 'Childcare (under 3)' },
    after_school: { zh: '儿童托管', en: 'After-school care' },
    meal_help: { zh: '社区助餐', en: 'Community meals' },
    housekeeping: { zh: '家政便民', en: 'Housekeeping & convenience' },
    health: { zh: '健康服务', en: 'Health' },
    fitness: { zh: '体育健身', en: 'Fitness' },
    culture: { zh: '文化服务', en: 'Culture' },
    study: { zh: '学习服务', en: 'Study' },
    children_play: { zh: '儿童游憩', en: "Children's play" },
  },
  operating_model: {
    public_benefit: { zh: '公益', en: 'Public benefit (free)' },
    low_cost: { zh: '低偿', en: 'Low cost' },
    market: { zh: '市场', en: 'Market' },
  },
  facility_level: {
    street: { zh: '街道级(15分钟)', en: 'Street level (15 min)' },
    community: { zh: '社区级(10分钟)', en: 'Community level (10 min)' },
    compound: { zh: '小区级(5分钟)', en: 'Compound level (5 min)' },
  },
};

// Which enum each (layer, field) takes its values from, as in engine/src/schema.rs.
export const FIELD_ENUMS = {
  communities: { kind: 'community_kind' },
  compounds: { class: 'compound_class', property_management: 'property_management' },
  gates: { kind: 'gate_kind' },
  stations: { kind: 'station_kind', level: 'facility_level' },
  service_spaces: { services: 'service_type', operating_model: 'operating_model', level: 'facility_level' },
};

/** The label of one enum value in `lang`, or the wire name when unknown. */
export function enumLabel(enumName, wire, lang) {
  const e = ENUMS[enumName]?.[wire];
  return e ? e[lang] ?? e.zh : String(wire);
}
