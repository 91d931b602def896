// Durations use the package-wide Prometheus grammar.
export { parseDuration, toPromQLRange } from "../components/common/duration";
