/**
 * The policy `telem dev` (npm start) gives its agent: every record to the local collector and to
 * an NDJSON file.
 */
export function devPolicyYaml(collectorUrl: string): string {
  return `# Written by \`telem dev\` (npm start) at every start, pointing at this run's collector.
# To run your own policy instead: npx telem --root <dir> run --policy your.policy.yaml
apiVersion: telem/v1
kind: Policy
metadata:
  name: dev
  description: Local development - every record to the local collector and to an NDJSON file.
spool:
  durability: batch
destinations:
  collector:
    type: http
    protocol: telem
    url: ${new URL('telem/v1/records', collectorUrl).href}
  file:
    type: file
    path: /var/log/telemetry/records.ndjson
routes:
  - name: everything
    match: { classification: "*" }
    to: [collector, file]
retention:
  journal_entries: 1000
  keep_payloads: 100
`;
}
