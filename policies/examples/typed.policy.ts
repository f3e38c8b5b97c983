/**
 * Example: a policy written in TypeScript. `definePolicy` gives completion and type errors
 * in the editor; `telem validate policies/examples/typed.policy.ts` checks it like YAML.
 * In your own repository, install telem and import from 'telem' the same way.
 */
import { definePolicy } from 'telem';

// A telem collector; an upstream server would be protocol 'v3' at .../v3/collector.
const collector = 'https://telemetry.example.org/telem/v1/records';

export default definePolicy({
  apiVersion: 'telem/v1',
  kind: 'Policy',
  metadata: { name: 'typed-example', revision: 1 },
  destinations: {
    central: { type: 'http', protocol: 'telem', url: collector },
  },
  routes: [
    {
      name: 'crashes',
      match: { classification: 'org.clearlinux/crash/*', min_severity: 2 },
      to: ['central'],
      rate_limit: { records: '100/15m', when_exceeded: 'spool' },
    },
    { name: 'default', match: { classification: '*' }, to: ['central'] },
  ],
});
