// errno values by name, for profiles that write `"errno": "EACCES"`.
import { constants } from 'node:os';

const BY_NAME: Readonly<Record<string, number>> = constants.errno as Record<string, number>;

/** The kernel answers at most this errno (MAX_ERRNO). */
export const MAX_ERRNO = 4095;

export function errnoNumber(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= MAX_ERRNO ? value : undefined;
  }
  return BY_NAME[value];
}

export function errnoName(value: number): string {
  for (const [name, number] of Object.entries(BY_NAME)) {
    if (number === value) {
      return name;
    }
  }
  return String(value);
}
