/** The `images` input: names with an optional enable flag; the old one-line comma form is still read. */
import {InputError} from '../errors';
import {entryFields} from './csv';

export interface ImageSpec {
  name: string;
  enable: boolean;
}

export function parseImages(entries: readonly string[]): ImageSpec[] {
  if (entries.length === 1) {
    const fields = entryFields(entries[0] ?? '', 'images').map(f => f.split('=').map(s => s.trim()));
    if (fields.every(p => p.length === 1)) return fields.map(p => ({name: p[0] ?? '', enable: true}));
  }
  return entries.map(entry => {
    const image: ImageSpec = {name: '', enable: true};
    for (const field of entryFields(entry, 'images')) {
      const parts = field.split('=').map(s => s.trim());
      if (parts.length === 1) {
        image.name = parts[0] ?? '';
        continue;
      }
      const key = (parts[0] ?? '').toLowerCase();
      const value = parts[1] ?? '';
      if (key === 'name') image.name = value;
      else if (key === 'enable') {
        if (value !== 'true' && value !== 'false')
          throw new InputError(
            'images',
            `images: "${entry}": enable must be exactly "true" or "false", got "${value}"`
          );
        image.enable = value === 'true';
      } else
        throw new InputError('images', `images: "${entry}": unknown attribute "${parts[0]}"; accepted: name, enable`);
    }
    if (image.name === '')
      throw new InputError(
        'images',
        `images: "${entry}": the image name is empty; write name=registry/owner/app or just registry/owner/app`
      );
    return image;
  });
}
