import {plainAnnotations, withoutEmptyDefaults} from '../../../src/meta/labels';

test.each<[string, string[], string[], string[]]>([
  [
    'empty default OCI keys are left out of the image',
    [
      'org.opencontainers.image.title=app',
      'org.opencontainers.image.description=',
      'org.opencontainers.image.licenses='
    ],
    [],
    ['org.opencontainers.image.title=app']
  ],
  [
    'an empty key the user gave stays',
    ['org.opencontainers.image.description=', 'org.opencontainers.image.vendor='],
    ['org.opencontainers.image.description='],
    ['org.opencontainers.image.description=']
  ],
  ['other empty keys stay (not a default)', ['com.example.flag='], [], ['com.example.flag=']],
  [
    'annotations with a level prefix',
    ['manifest:org.opencontainers.image.description=', 'index:org.opencontainers.image.title=app'],
    ['index:org.opencontainers.image.licenses='],
    ['index:org.opencontainers.image.title=app']
  ],
  [
    'a user key given at another level still counts',
    ['manifest:org.opencontainers.image.licenses='],
    ['index:org.opencontainers.image.licenses=MIT'],
    ['manifest:org.opencontainers.image.licenses=']
  ]
])('withoutEmptyDefaults: %s', (_n, entries, user, expected) => {
  expect(withoutEmptyDefaults(entries, user)).toEqual(expected);
});

test.each<[string[], Record<string, string>]>([
  [['org.opencontainers.image.title=app'], {'org.opencontainers.image.title': 'app'}],
  [['manifest:a=1', 'index:b=2', 'manifest-descriptor:c=3', 'index-descriptor:d=4'], {a: '1', b: '2', d: '4'}],
  [['index[linux/amd64]:e=5'], {e: '5'}],
  [['k=a=b', 'broken'], {k: 'a=b'}]
])('plainAnnotations(%j)', (leveled, expected) => {
  expect(plainAnnotations(leveled)).toEqual(expected);
});
