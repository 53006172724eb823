// Local wall-clock time in the box's IANA timezone, for rating, reports and the API.
export { DAY_MS, ZoneOffsets, zoneOffsets, isValidTimezone, type OffsetSpan } from './zone.ts';
export {
  type LocalParts,
  localParts,
  formatStamp,
  instantOf,
  parseStamp,
  parseRangeBound,
  parseRange,
} from './stamp.ts';
