import type { RegionTable } from './region-schema.js';

/**
 * Times as the region's people read them: Russian regions span UTC+2 (Kaliningrad) to UTC+12
 * (Kamchatka), so a login at 23:30 UTC is the next morning in Irkutsk. The zone comes from the
 * region table (`timeZone`, an IANA name); a region the table does not list reads Moscow time.
 */
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';

/** Region code → IANA zone, for the regions whose zone is not the default (the rest read Moscow time). */
export type RegionTimeZones = ReadonlyMap<string, string>;

const zonesOfTable = new WeakMap<RegionTable, RegionTimeZones>();

/** Per snapshot of the table (a reload makes a new one), so reports read it for free. */
export function regionTimeZones(table: RegionTable): RegionTimeZones {
  let zones = zonesOfTable.get(table);
  if (!zones) {
    zones = new Map([...table.regions].filter(([, region]) => region.timeZone !== DEFAULT_TIME_ZONE).map(([code, region]) => [code, region.timeZone]));
    zonesOfTable.set(table, zones);
  }
  return zones;
}

export function timeZoneOf(zones: RegionTimeZones, region: string | null | undefined): string {
  return (region && zones.get(region)) || DEFAULT_TIME_ZONE;
}

const formats = new Map<string, { local: Intl.DateTimeFormat; offset: Intl.DateTimeFormat }>();

function formatsOf(timeZone: string) {
  let found = formats.get(timeZone);
  if (!found) {
    found = {
      local: new Intl.DateTimeFormat('ru-RU', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
      offset: new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' }),
    };
    formats.set(timeZone, found);
  }
  return found;
}

/** «20.11.2026 16:00 (UTC+8)»: the instant on the region's clock, with its offset so no one has to guess. */
export function formatRegionTime(instant: Date, timeZone: string): string {
  const { local, offset } = formatsOf(timeZone);
  const zone = offset.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const utcOffset = zone === 'GMT' ? 'UTC' : zone.replace('GMT', 'UTC');
  return `${local.format(instant).replace(',', '')} (${utcOffset})`;
}
