/** The `flavor` input: latest=auto|true|false, prefix, suffix, onlatest. */
import {InputError} from '../errors';
import {entryFields} from './csv';

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  prefixLatest: boolean;
  suffix: string;
  suffixLatest: boolean;
}

export function parseFlavor(entries: readonly string[]): Flavor {
  const flavor: Flavor = {latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false};
  for (const entry of entries) {
    let onlatestFor = '';
    for (const field of entryFields(entry, 'flavor')) {
      const parts = field.split('=').map(s => s.trim());
      if (parts.length === 1)
        throw new InputError(
          'flavor',
          `flavor: "${entry}": "${field}" is not key=value; accepted: latest=auto|true|false, prefix=..., suffix=..., onlatest=true|false`
        );
      const key = (parts[0] ?? '').toLowerCase();
      const value = parts[1] ?? '';
      switch (key) {
        case 'latest':
          if (value !== 'auto' && value !== 'true' && value !== 'false')
            throw new InputError('flavor', `flavor: "${entry}": latest must be auto, true or false, got "${value}"`);
          flavor.latest = value;
          break;
        case 'prefix':
          flavor.prefix = value;
          onlatestFor = 'prefix';
          break;
        case 'suffix':
          flavor.suffix = value;
          onlatestFor = 'suffix';
          break;
        case 'onlatest':
          if (value !== 'true' && value !== 'false')
            throw new InputError('flavor', `flavor: "${entry}": onlatest must be true or false, got "${value}"`);
          if (onlatestFor === 'prefix') flavor.prefixLatest = value === 'true';
          if (onlatestFor === 'suffix') flavor.suffixLatest = value === 'true';
          break;
        default:
          throw new InputError(
            'flavor',
            `flavor: "${entry}": unknown key "${parts[0]}"; accepted: latest, prefix, suffix, onlatest`
          );
      }
    }
  }
  return flavor;
}
