/** Where a policy is looked for when no file is named, in this order (cosmiconfig search places). */
export const POLICY_FILE_NAMES = ['telem.policy.yaml', 'telem.policy.yml', 'telem.policy.json', 'telem.policy.js', 'telem.policy.mjs', 'telem.policy.ts'] as const;

export const POLICY_SEARCH_PLACES = [
  ...POLICY_FILE_NAMES,
  '.telemrc',
  '.telemrc.yaml',
  '.telemrc.yml',
  '.telemrc.json',
  '.telemrc.js',
  '.telemrc.mjs',
  '.telemrc.ts',
  'package.json',
] as const;
